import Foundation
import JobQueue
import PostgresClient
import Synchronization
import TalentCore
import TalentStore

/// Stores submitted jobs in the outbox in shared transactions: the submissions that arrive while a
/// transaction runs wait for the next one, which registers their units and inserts all their job rows
/// with one statement and one commit (PostgreSQL's commit is the cost of a submission; sharing it is
/// group commit done by the gateway). Each submission is answered only after the commit that holds
/// its row, so a `202` still means the job is durable before it is published.
///
/// A shared transaction that fails is tried again one submission per transaction, so one bad
/// submission fails alone. At most ``concurrentTransactions`` run at once, each with at most
/// ``maximumBatch`` submissions.
final class OutboxWriter: Sendable {
    private struct Submission: Sendable {
        let message: JobEnvelope
        let subjectId: UUID?
        let unitName: String?
        let submittedBy: String?
        let continuation: CheckedContinuation<JobRecord, any Error>
    }

    private struct State {
        var waiting: [Submission] = []
        var running = 0
    }

    let pool: PostgresPool
    /// Shared transactions at once (database connections this uses at most).
    let concurrentTransactions: Int
    /// Submissions in one shared transaction at most.
    let maximumBatch: Int
    private let state = Mutex(State())

    init(pool: PostgresPool, concurrentTransactions: Int = 2, maximumBatch: Int = 200) {
        self.pool = pool
        self.concurrentTransactions = max(concurrentTransactions, 1)
        self.maximumBatch = max(maximumBatch, 1)
    }

    /// Stores `message` as a `queued` job about `subjectId` and registers its unit; returns once the
    /// row is committed.
    /// - Parameter submittedBy: the service that submitted it (`service:<name>`), `nil` for the unit.
    /// - Throws: ``PostgresError`` (the submission's own transaction failed).
    func store(_ message: JobEnvelope, subjectId: UUID?, unitName: String?, submittedBy: String? = nil)
        async throws -> JobRecord
    {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.waiting.append(
                    Submission(
                        message: message, subjectId: subjectId, unitName: unitName, submittedBy: submittedBy,
                        continuation: continuation))
                guard state.running < concurrentTransactions else { return false }
                state.running += 1
                return true
            }
            // Unstructured on purpose: a transaction serves many requests, none of which owns it. It
            // ends when nothing waits; every submission it takes is answered.
            if start { Task { await self.drain() } }
        }
    }

    /// Runs shared transactions until no submission waits.
    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Submission] in
                let count = min(maximumBatch, state.waiting.count)
                if count == 0 { state.running -= 1 }
                defer { state.waiting.removeFirst(count) }
                return Array(state.waiting.prefix(count))
            }
            if batch.isEmpty { return }
            await write(batch)
        }
    }

    private func write(_ batch: [Submission]) async {
        do {
            let records = try await pool.transaction { [batch] connection in
                // Distinct units in id order: two shared transactions that must upsert the same units
                // take their row locks in one order and cannot deadlock.
                let units = Dictionary(
                    batch.compactMap { submission in submission.message.unitId.map { ($0, submission.unitName) } }
                ) { first, _ in first }
                for unit in units.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
                    try UnitStore.register(unit, name: units[unit] ?? nil, on: connection)
                }
                let records = try JobStore.insert(batch.map { ($0.message, $0.subjectId) }, on: connection)
                try JobStore.recordSubmitters(
                    batch.compactMap { submission in submission.submittedBy.map { (submission.message.jobId, $0) } },
                    on: connection)
                return records
            }
            for (submission, record) in zip(batch, records) { submission.continuation.resume(returning: record) }
        } catch {
            guard batch.count > 1 else { return await answerAlone(batch[0], after: error) }
            for submission in batch { await write([submission]) }
        }
    }

    /// The answer to a submission whose own transaction failed. When the failure was a duplicate job
    /// id, an earlier attempt committed although its answer was lost (the connection dropped during
    /// COMMIT): the stored job is the answer, not an error, so the request is answered as accepted.
    private func answerAlone(_ submission: Submission, after error: any Error) async {
        if let failure = error as? PostgresError, failure.sqlState == .uniqueViolation,
            let stored = try? await JobStore(pool: pool).job(of: submission.message)
        {
            return submission.continuation.resume(returning: stored)
        }
        submission.continuation.resume(throwing: error)
    }
}
