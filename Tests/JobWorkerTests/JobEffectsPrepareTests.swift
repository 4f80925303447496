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

    /// The preparations of a batch of `size` jobs, and the batch.
    static func prepare(concurrently: Bool, patience: Duration, size: Int) async throws -> (
        prepared: [(UUID, Bool)], batch: [Job<AttachmentValidationJob>]
    ) {
        let pool = PostgresPool(configuration: .init(conninfo: try TestEnvironment.current().postgresConnInfo, size: 1))
        defer { pool.shutdown() }
        let handler = WaitingHandler(concurrently: concurrently, barrier: Barrier(patience: patience), batchSize: size)
        let batch = try Self.batch(size)
        return (try await JobEffects(handler: handler, pool: pool).prepare(batch), batch)
    }

    @Test func preparesConcurrentlyInTheBatchsOrder() async throws {
        let (prepared, batch) = try await Self.prepare(concurrently: true, patience: .seconds(10), size: 4)
        #expect(prepared.map(\.0) == batch.map(\.id))
        #expect(prepared.map(\.1) == [true, true, true, true], "every preparation saw the whole batch started")
    }

    @Test func preparesOneAfterAnotherByDefault() async throws {
        let (prepared, batch) = try await Self.prepare(concurrently: false, patience: .milliseconds(300), size: 2)
        #expect(prepared.map(\.0) == batch.map(\.id))
        #expect(prepared.map(\.1) == [false, true], "the first waited alone; the second found both started")
    }
}
