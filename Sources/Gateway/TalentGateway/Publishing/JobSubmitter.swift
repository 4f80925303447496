import AMQPClient
import Foundation
import JobQueue
import Logging
import PostgresClient
import TalentCore
import TalentStore

/// The gateway's side of accepting a job: what the request writes and the job's outbox row commit in
/// one transaction, then the message is published with confirms, and a failed publish decides the answer.
struct JobSubmitter: Sendable {
    let pool: PostgresPool
    let publisher: JobPublisher
    let jobs: JobStore
    /// Where ``submit(_:subjectId:unitName:logger:)`` stores its jobs (shared transactions).
    let outbox: OutboxWriter
    /// Units that wrote recently (their lists are read from the primary: ``ReadRouting``).
    let writers: RecentWriters

    /// Registers the unit (when the job has one), runs `write` and, when it returns a subject, inserts the job about it — all
    /// in one transaction. - Returns: what `write` returned, and the job when one was stored.
    /// - Parameter submittedBy: the service that submits the job (`service:<name>`), `nil` for the unit.
    func store<Written: Sendable>(
        _ message: JobEnvelope, unitName: String?, submittedBy: String? = nil,
        _ write: @escaping @Sendable (PostgresConnection) throws -> (Written, subjectId: UUID?, createJob: Bool)
    ) async throws -> (Written, JobRecord?) {
        if let unitId = message.unitId { writers.record(unitId) }
        return try await TalentGateway.store { [pool] in
            try await pool.transaction { connection in
                if let unitId = message.unitId { try UnitStore.register(unitId, name: unitName, on: connection) }
                let (written, subjectId, createJob) = try write(connection)
                guard createJob else { return (written, nil) }
                let record = try JobStore.insert(message, subjectId: subjectId, on: connection)
                if let submittedBy { try JobStore.recordSubmitters([(message.jobId, submittedBy)], on: connection) }
                return (written, record)
            }
        }
    }

    /// Publishes `message` and returns once the broker confirmed it. When publishing fails, the job row
    /// (and what `undo` removes, in the same transaction) is discarded unless a worker already
    /// processed the job (a message sent but not confirmed in time can still be delivered); then the
    /// job counts as accepted. When the discard itself fails (database unreachable), the stored job
    /// stays in the outbox and the relay publishes it with confirms: the request counts as accepted too.
    /// - Returns: the job as it is now when a worker processed it already, else `nil` (answer with the
    ///   record you have).
    /// - Throws: ``GatewayError`` `broker_blocked` or `unavailable` (503, `Retry-After`) when nothing was
    ///   accepted.
    func publish(
        _ message: JobEnvelope, logger: Logger,
        undo: @escaping @Sendable (PostgresConnection) throws -> Void = { _ in }
    ) async throws -> JobRecord? {
        do {
            try await publisher.publish(message)
            return nil
        } catch {
            logger.warning(
                "publish failed", metadata: ["error": "\(String(reflecting: error))", "jobId": "\(message.jobId)"])
            let discarded: Bool
            do {
                discarded = try await pool.transaction { connection in
                    guard try JobStore.discardQueued(message.jobId, on: connection) else { return false }
                    try undo(connection)
                    return true
                }
            } catch let discardError {
                logger.warning(
                    "could not discard the unpublished job; the relay will publish it",
                    metadata: ["error": "\(String(reflecting: discardError))", "jobId": "\(message.jobId)"])
                return nil
            }
            if !discarded {
                return try? await jobs.job(of: message)
            }
            if let amqp = error as? AMQPError, amqp.code == .blocked {
                throw GatewayError(
                    .brokerBlocked, "the job queue is not accepting work; retry later", retryAfterSeconds: 30)
            }
            throw GatewayError(.unavailable, "the job queue is unavailable; retry later", retryAfterSeconds: 5)
        }
    }

    /// Stores `message` as a job about `subjectId` (in a transaction shared with other submissions:
    /// ``OutboxWriter``), publishes it, and returns the job for a `202`.
    func submit(
        _ message: JobEnvelope, subjectId: UUID?, unitName: String?, submittedBy: String? = nil, logger: Logger
    ) async throws -> JobRecord {
        if let unitId = message.unitId { writers.record(unitId) }
        let record = try await TalentGateway.store {
            try await outbox.store(message, subjectId: subjectId, unitName: unitName, submittedBy: submittedBy)
        }
        return try await publish(message, logger: logger) ?? record
    }
}
