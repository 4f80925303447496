import AMQPClient
import Foundation

/// Handles one job kind: decodes a delivery and applies its effect.
///
/// Contract: ``handle(_:)`` commits the effect and the job's idempotency record in one transaction
/// and returns after the commit; the runtime acks only then. A redelivered job whose record exists
/// must return without effect.
public protocol JobHandler: Sendable {
    associatedtype Message: Sendable

    /// Decodes the body. A thrown ``JobRejection`` dead-letters the message (never retried).
    func decode(_ delivery: AMQPDelivery) throws(JobRejection) -> Message

    /// Applies the job. Thrown errors are retried with backoff (transient: database or broker down).
    func handle(_ message: Message) async throws

    /// Records that a message is being dead-lettered (for example marks its job `dead_lettered`).
    func deadLettered(_ delivery: AMQPDelivery, rejection: JobRejection) async
}

/// Why a message cannot be processed at all: it goes to the dead-letter queue with this reason.
public struct JobRejection: Error, Sendable {
    public enum Code: String, Sendable {
        case malformed
        case unknownSchemaVersion = "unknown_schema_version"
        case unknownKind = "unknown_kind"
        case retriesExhausted = "retries_exhausted"
    }

    public var code: Code
    public var detail: String
    /// The job id, when the message had a readable one.
    public var jobId: UUID?

    public init(code: Code, detail: String, jobId: UUID? = nil) {
        self.code = code
        self.detail = detail
        self.jobId = jobId
    }
}
