import JobQueue
import PostgresClient
import TalentCore

/// What the effect transaction found for one job.
public enum JobApplication: Sendable, Hashable {
    /// The handler ran; its outcome is recorded on the job row.
    case applied(JobOutcome)
    /// The outcome was recorded before (a redelivery): nothing written.
    case alreadyProcessed
    /// No such job for this unit (the gateway discarded it after a failed publish): nothing written.
    case unknownJob
}

/// Applies a batch of jobs with their records: the part of ``JobConsumer`` that writes, usable
/// without a broker (tests of a handler go through it, so they exercise the production locks).
///
/// ``JobHandler/prepare(_:)`` runs for each job first, outside any transaction. Then one transaction
/// locks the batch's job rows in id order and, in the handler's order, locks each job for its
/// effect: a job still to do (`queued`, or closed `never_completed` by the relay and arriving after
/// all) is applied and its outcome written on its row; one already done is skipped. All or none: a
/// thrown error rolls the batch back.
public struct JobEffects<Handler: JobHandler>: Sendable {
    let handler: Handler
    let pool: PostgresPool

    public init(handler: Handler, pool: PostgresPool) {
        self.handler = handler
        self.pool = pool
    }

    /// - Returns: what happened to each job, in the order given.
    /// - Throws: what ``JobHandler/prepare(_:)`` or ``JobHandler/apply(_:prepared:in:)`` throws, and
    ///   database errors; nothing is then written.
    public func apply(_ batch: [Job<Handler.Message>]) async throws -> [JobApplication] {
        var prepared: [Handler.Prepared] = []
        for job in batch { prepared.append(try await handler.prepare(job)) }
        let order = batch.indices.sorted { handler.appliesBefore(batch[$0], batch[$1]) }
        return try await pool.transaction { [handler, prepared] connection in
            try JobStore.lockBatch(batch.map(\.id), on: connection)
            var results = [JobApplication](repeating: .unknownJob, count: batch.count)
            for index in order {
                let job = batch[index]
                switch try JobStore.lockForEffect(jobId: job.id, unitId: job.unitId, on: connection) {
                case .unknownJob: results[index] = .unknownJob
                case .alreadyProcessed: results[index] = .alreadyProcessed
                case .apply:
                    let outcome = try handler.apply(job, prepared: prepared[index], in: connection)
                    switch outcome {
                    case .succeeded(let code):
                        try JobStore.finish(jobId: job.id, status: .succeeded, code: code, detail: nil, on: connection)
                    case .refused(let code, let detail):
                        try JobStore.finish(jobId: job.id, status: .failed, code: code, detail: detail, on: connection)
                    }
                    results[index] = .applied(outcome)
                }
            }
            return results
        }
    }
}
