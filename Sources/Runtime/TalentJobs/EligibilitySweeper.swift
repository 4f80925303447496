import Foundation
import Logging
import PostgresClient
import ServiceLifecycle
import TalentCore
import TalentStore

/// The daily eligibility sweep (manual §4): recomputes every unit's decisions once per Beijing day,
/// catching what no job reports (a qualification's last valid day passing, a filing period running
/// out).
///
/// Runs in every eligibility worker; each ticks every ``intervalSeconds`` and works through today's
/// sweep in chunks (``EligibilityStore/sweepChunk(day:chunkSize:on:)``), each chunk a transaction
/// that holds the day's row lock: replicas share one sweep (a chunk another replica holds is skipped,
/// not repeated), and a replica killed mid-chunk leaves the cursor where the last commit put it.
public struct EligibilitySweeper: Service {
    let pool: PostgresPool
    let intervalSeconds: Int
    let chunkSize: Int
    let today: @Sendable () -> CalendarDate
    let logger: Logger

    /// - Parameters:
    ///   - intervalSeconds: seconds between ticks (`TALENT_ELIGIBILITY_SWEEP_INTERVAL`); 0 turns the
    ///     sweep off in this process.
    ///   - chunkSize: units per chunk transaction.
    public init(
        pool: PostgresPool, intervalSeconds: Int, chunkSize: Int = EligibilityStore.defaultSweepChunkSize,
        today: @escaping @Sendable () -> CalendarDate = { CalendarDate.today() }, logger: Logger
    ) {
        self.pool = pool
        self.intervalSeconds = intervalSeconds
        self.chunkSize = max(1, chunkSize)
        self.today = today
        self.logger = logger
    }

    public func run() async throws {
        guard intervalSeconds > 0 else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await sweep(day: today())
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("eligibility sweep failed; retried next tick", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(intervalSeconds))
            }
        }
    }

    /// Works through `day`'s sweep until it is complete or another replica holds its row.
    /// - Returns: units this process recomputed.
    public func sweep(day: CalendarDate) async throws -> Int {
        let started = ContinuousClock.now
        let share = try await EligibilityStore(pool: pool).sweep(day: day, chunkSize: chunkSize)
        if share.completed {
            logger.info(
                "eligibility sweep complete",
                metadata: [
                    "day": "\(day)", "units": "\(share.units)", "decisionsChanged": "\(share.changed)",
                    "seconds": "\(started.duration(to: .now))",
                ])
        }
        return share.units
    }
}
