import Foundation
import Logging
import Metrics
import ServiceLifecycle
import TalentCore

/// Publishes again, from the job rows (the outbox), jobs whose message may not be in the broker, so a
/// committed job is never stranded. Runs in every gateway; publishing a job twice is harmless (the
/// worker's idempotency record makes the second delivery a no-op).
///
/// Two cases:
/// - never confirmed: the gateway stopped between its commit and the broker's confirm;
/// - lost from the broker: still `queued` long after publication (``RelaySettings/staleAfterSeconds``)
///   while none of its kind's queues holds a ready message, e.g. an operator deleted a queue. Each job
///   is republished at most ``RelaySettings/maxRepublications`` times, then closed as `dead_lettered`
///   with code `never_completed`.
public struct JobRelay: Service {
    let jobs: JobStore
    let publisher: JobPublisher
    let settings: RelaySettings
    let logger: Logger

    public init(jobs: JobStore, publisher: JobPublisher, settings: RelaySettings, logger: Logger) {
        self.jobs = jobs
        self.publisher = publisher
        self.settings = settings
        self.logger = logger
    }

    /// As a `Service`: passes until the service group shuts down (gracefully or by cancellation); no
    /// pass starts during shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    /// Loops until cancelled, one pass every `afterSeconds / 2` seconds.
    func loop() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .seconds(max(settings.afterSeconds / 2, 1)))
            } catch {
                return  // cancelled: no pass during shutdown
            }
            await relayOnce()
            await sweepOnce()
        }
    }

    /// The metric the relay records: `talent_relay_republished_total{kind, reason}`, `reason`
    /// `unconfirmed` (no confirm recorded) or `missing` (gone from the broker, see ``sweepOnce()``).
    public static let metricHelp: [String: String] = [
        "talent_relay_republished_total":
            "Jobs the outbox relay published again (unconfirmed, or missing from the broker)."
    ]

    /// Publishes jobs never confirmed; returns how many.
    @discardableResult
    public func relayOnce() async -> Int {
        do {
            let backlog = try await jobs.unpublished(olderThanSeconds: settings.afterSeconds, limit: 500)
            let count = await publish(backlog)
            if count > 0 { logger.info("relayed unconfirmed jobs", metadata: ["count": "\(count)"]) }
            return count
        } catch {
            logger.warning("relay pass failed", metadata: ["error": "\(String(reflecting: error))"])
            return 0
        }
    }

    /// Publishes again jobs lost from the broker (see the type's description); returns how many.
    @discardableResult
    public func sweepOnce() async -> Int {
        var count = 0
        for (kind, queues) in settings.pendingQueues {
            do {
                var ready = 0
                for queue in queues { ready += try await publisher.queueState(queue).messages }
                // Ready messages may be the jobs themselves; wait until the kind's queues are idle.
                guard ready == 0 else { continue }
                let closed = try await jobs.abandonStale(
                    kind: kind, olderThanSeconds: settings.staleAfterSeconds,
                    maxRepublications: settings.maxRepublications)
                if closed > 0 {
                    logger.error(
                        "jobs never completed after republication; closed as dead_lettered",
                        metadata: ["kind": "\(kind.rawValue)", "count": "\(closed)"])
                }
                let stale = try await jobs.stale(
                    kind: kind, olderThanSeconds: settings.staleAfterSeconds,
                    maxRepublications: settings.maxRepublications, limit: 500)
                let published = await publish(stale, republication: true)
                if published > 0 {
                    logger.warning(
                        "republished jobs missing from the broker",
                        metadata: ["kind": "\(kind.rawValue)", "count": "\(published)"])
                }
                count += published
            } catch {
                logger.warning(
                    "sweep failed", metadata: ["kind": "\(kind.rawValue)", "error": "\(String(reflecting: error))"])
            }
        }
        return count
    }

    /// Publishes until the first failure (the broker is down or blocking: the next pass retries).
    private func publish(_ backlog: [JobEnvelope], republication: Bool = false) async -> Int {
        var count = 0
        for job in backlog {
            do {
                if republication { try await jobs.markRepublished(id: job.jobId) }
                try await publisher.publish(job)
                count += 1
                Counter(
                    label: "talent_relay_republished_total",
                    dimensions: [("kind", job.kind.rawValue), ("reason", republication ? "missing" : "unconfirmed")]
                ).increment()
            } catch {
                logger.warning(
                    "relay publish failed",
                    metadata: ["jobId": "\(job.jobId)", "error": "\(String(reflecting: error))"])
                break
            }
        }
        return count
    }
}

/// When the relay publishes jobs again. Defaults suit production; tests shorten them.
public struct RelaySettings: Sendable {
    /// Jobs unconfirmed for this many seconds are published again. Default 30.
    public var afterSeconds: Int
    /// Jobs still queued this many seconds after their last publication, while their kind's queues are
    /// idle, are published again. Default 900 (beyond the retry tiers' 6 min 11 s and a job time limit).
    public var staleAfterSeconds: Int
    /// Republications of one job before it is closed as `never_completed`. Default 3.
    public var maxRepublications: Int
    /// Per job kind, the queues that hold its pending messages (work queue and retry tiers).
    public var pendingQueues: [JobKind: [String]]

    public init(
        afterSeconds: Int = 30, staleAfterSeconds: Int = 900, maxRepublications: Int = 3,
        pendingQueues: [JobKind: [String]] = Dictionary(
            uniqueKeysWithValues: JobKind.allCases.map { ($0, [JobTopologyNames.workQueue($0)]) })
    ) {
        self.afterSeconds = afterSeconds
        self.staleAfterSeconds = staleAfterSeconds
        self.maxRepublications = maxRepublications
        self.pendingQueues = pendingQueues
    }
}
