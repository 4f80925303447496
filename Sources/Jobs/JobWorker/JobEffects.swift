import Foundation
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
/// locks the batch's job rows in id order (one statement); the jobs still to do (`queued`, or closed
/// `never_completed` by the relay and arriving after all) go to the handler in its order, and their
/// outcomes are written on their rows (one statement); jobs already done are skipped, and a job id
/// twice in one batch is applied once. All or none: a thrown error rolls the batch back.
public struct JobEffects<Handler: JobHandler>: Sendable {
    let handler: Handler
    let pool: PostgresPool

    public init(handler: Handler, pool: PostgresPool) {
        self.handler = handler
        self.pool = pool
    }

    /// Why a handler's answer could not be recorded.
    public struct HandlerError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The preparations of a batch, in its order: at once when the handler
    /// ``JobHandler/preparesConcurrently``, else one after another.
    func prepare(_ batch: [Job<Handler.Message>]) async throws -> [Handler.Prepared] {
        guard handler.preparesConcurrently, batch.count > 1 else {
            var prepared: [Handler.Prepared] = []
            for job in batch { prepared.append(try await handler.prepare(job)) }
            return prepared
        }
        return try await withThrowingTaskGroup(of: (Int, Handler.Prepared).self) { [handler] group in
            for (index, job) in batch.enumerated() {
                group.addTask { (index, try await handler.prepare(job)) }
            }
            var prepared = [Handler.Prepared?](repeating: nil, count: batch.count)
            for try await (index, result) in group { prepared[index] = result }
            return prepared.map { $0! }
        }
    }

    /// - Returns: what happened to each job, in the order given.
    /// - Throws: what ``JobHandler/prepare(_:)`` or ``JobHandler/apply(_:in:)`` throws, database
    ///   errors, and ``HandlerError`` when the handler returned another number of outcomes than jobs;
    ///   nothing is then written.
    public func apply(_ batch: [Job<Handler.Message>]) async throws -> [JobApplication] {
        let prepared = try await prepare(batch)
        let order = batch.indices.sorted { handler.appliesBefore(batch[$0], batch[$1]) }
        return try await pool.transaction { [handler, prepared] connection in
            let locks = try JobStore.lockForEffect(batch.map { ($0.id, $0.actingUnit) }, on: connection)
            var results = [JobApplication](repeating: .unknownJob, count: batch.count)
            var toDo: [Int] = []
            var taken = Set<UUID>()
            for index in order {
                switch locks[index] {
                case .unknownJob: results[index] = .unknownJob
                case .alreadyProcessed: results[index] = .alreadyProcessed
                case .apply:
                    if taken.insert(batch[index].id).inserted {
                        toDo.append(index)
                    } else {
                        results[index] = .alreadyProcessed
                    }
                }
            }
            guard !toDo.isEmpty else { return results }
            let outcomes = try handler.apply(
                toDo.map { PreparedJob(job: batch[$0], prepared: prepared[$0]) }, in: connection)
            guard outcomes.count == toDo.count else {
                throw HandlerError(description: "\(outcomes.count) outcomes for \(toDo.count) jobs")
            }
            var finishes: [JobStore.Finish] = []
            for (index, outcome) in zip(toDo, outcomes) {
                switch outcome {
                case .succeeded(let code):
                    finishes.append(.init(jobId: batch[index].id, status: .succeeded, code: code, detail: nil))
                case .refused(let code, let detail):
                    finishes.append(.init(jobId: batch[index].id, status: .failed, code: code, detail: detail))
                }
                results[index] = .applied(outcome)
            }
            try JobStore.finish(finishes, on: connection)
            return results
        }
    }
}
