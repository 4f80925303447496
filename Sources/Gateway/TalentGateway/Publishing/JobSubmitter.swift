import AMQPClient
import Foundation
import Logging
import TalentCore
import TalentStore

/// Publishes a job whose row is already committed, and decides the answer when publishing fails.
public struct JobSubmitter: Sendable {
    let publisher: JobPublisher
    let jobs: JobStore

    /// Publishes `message` and returns once the broker confirmed it. When publishing fails, `discard`
    /// removes what the request stored unless a worker already processed the job (a message sent but
    /// not confirmed in time can still be delivered); then the job counts as accepted. When the discard
    /// itself fails (database unreachable), the stored job stays in the outbox and the relay publishes
    /// it with confirms: the request counts as accepted too.
    /// - Returns: the job as it is now when a worker processed it already, else `nil` (answer with the
    ///   record you have).
    /// - Throws: ``GatewayError`` `broker_blocked` or `unavailable` (503, `Retry-After`) when nothing was
    ///   accepted.
    func publish(
        _ message: JobEnvelope, logger: Logger, discard: @Sendable () async throws -> Bool
    ) async throws -> JobRecord? {
        do {
            try await publisher.publish(message)
            return nil
        } catch {
            logger.warning("publish failed", metadata: ["error": "\(error)", "jobId": "\(message.jobId)"])
            let discarded: Bool
            do {
                discarded = try await discard()
            } catch let discardError {
                logger.warning(
                    "could not discard the unpublished job; the relay will publish it",
                    metadata: ["error": "\(discardError)", "jobId": "\(message.jobId)"])
                return nil
            }
            if !discarded {
                return try? await jobs.job(id: message.jobId, unitId: message.unitId)
            }
            if let amqp = error as? AMQPError, amqp.code == .blocked {
                throw GatewayError(
                    .brokerBlocked, "the job queue is not accepting work; retry later", retryAfterSeconds: 30)
            }
            throw GatewayError(.unavailable, "the job queue is unavailable; retry later", retryAfterSeconds: 5)
        }
    }

    /// Stores `message` as a job about `subjectId`, publishes it, and returns the job for a `202`.
    func submit(_ message: JobEnvelope, subjectId: UUID?, unitName: String?, logger: Logger) async throws -> JobRecord {
        let record = try await store { [jobs] in
            try await jobs.insert(message, subjectId: subjectId, unitName: unitName)
        }
        let processed = try await publish(message, logger: logger) { [jobs] in
            try await jobs.discard(id: message.jobId)
        }
        return processed ?? record
    }
}
