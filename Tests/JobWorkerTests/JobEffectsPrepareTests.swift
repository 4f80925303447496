import Foundation
import PostgresClient
import TalentCore
import TalentTestSupport
import Testing

@testable import JobWorker

/// A handler whose preparations wait on another process (the inspector) prepares a batch at once.
@Suite("Preparing a batch")
struct JobEffectsPrepareTests {
    /// Counts preparations started; each waits (at most `patience`) until all of the batch have started.
    actor Barrier {
        let patience: Duration
        var started = 0
        init(patience: Duration) { self.patience = patience }
        func arrive() { started += 1 }
        func waitForAll(_ count: Int) async -> Bool {
            let deadline = ContinuousClock.now.advanced(by: patience)
            while started < count {
                if ContinuousClock.now > deadline { return false }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return true
        }
    }

    struct WaitingHandler: JobHandler {
        let concurrently: Bool
        let barrier: Barrier
        let batchSize: Int
        var preparesConcurrently: Bool { concurrently }
        var maximumBatchSize: Int { batchSize }

        func prepare(_ job: Job<AttachmentValidationJob>) async throws -> (UUID, Bool) {
            await barrier.arrive()
            return (job.id, await barrier.waitForAll(batchSize))
        }

        func apply(_ job: Job<AttachmentValidationJob>, prepared: (UUID, Bool), in transaction: PostgresConnection)
            throws -> JobOutcome
        { .succeeded() }
    }

    static func batch(_ count: Int) throws -> [Job<AttachmentValidationJob>] {
        let unit = try UnifiedSocialCreditCode(validating: "91350100M000100Y43")
        return (0..<count).map { _ in
            Job(
                message: AttachmentValidationJob(jobId: UUID(), unitId: unit, attachmentId: UUID(), requestedAt: Date())
            )
        }
    }

    @Test func preparesConcurrentlyInTheBatchsOrder() async throws {
        let pool = PostgresPool(configuration: .init(conninfo: try TestEnvironment.current().postgresConnInfo, size: 1))
        defer { pool.shutdown() }
        let effects = JobEffects(
            handler: WaitingHandler(concurrently: true, barrier: Barrier(patience: .seconds(10)), batchSize: 4),
            pool: pool)
        let batch = try Self.batch(4)
        let prepared = try await effects.prepare(batch)
        #expect(prepared.map(\.0) == batch.map(\.id))
        #expect(prepared.map(\.1) == [true, true, true, true], "every preparation saw the whole batch started")
    }

    @Test func preparesOneAfterAnotherByDefault() async throws {
        let pool = PostgresPool(configuration: .init(conninfo: try TestEnvironment.current().postgresConnInfo, size: 1))
        defer { pool.shutdown() }
        let effects = JobEffects(
            handler: WaitingHandler(concurrently: false, barrier: Barrier(patience: .milliseconds(300)), batchSize: 2),
            pool: pool)
        let batch = try Self.batch(2)
        let prepared = try await effects.prepare(batch)
        #expect(prepared.map(\.0) == batch.map(\.id))
        #expect(prepared.map(\.1) == [false, true], "the first waited alone; the second found both started")
    }
}
