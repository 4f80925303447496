import AMQPClient
import Foundation
import TalentCore

/// Handles one job kind: decodes a delivery and applies its effect.
///
/// Contract: ``handle(_:)`` commits the effect and the job's idempotency record in one transaction
/// and returns after the commit; the runtime acks only then. A redelivered job whose record exists
/// must return without effect.
public protocol JobHandler: Sendable {
    associatedtype Message: Sendable

    /// Decodes the body. A thrown ``JobRejection`` parks the message (never retried).
    func decode(_ delivery: AMQPDelivery) throws(JobRejection) -> Message

    /// Applies the job. Thrown errors are retried: a few times at once, then through the retry tiers.
    func handle(_ message: Message) async throws

    /// Most jobs ``handleBatch(_:)`` takes at once; 1 (the default) means this kind is not batched.
    var maximumBatchSize: Int { get }

    /// Applies several jobs in one transaction (all or none). When it throws, the runtime handles the
    /// same jobs one by one, so one bad job cannot fail its neighbours. Default: ``handle(_:)`` each.
    func handleBatch(_ messages: [Message]) async throws

    /// Records that a job is being parked (for example marks its row `dead_lettered`), before the
    /// message goes to the parking queue. Throws when the record could not be written; the runtime then
    /// returns the message to its queue after a pause and tries again.
    func deadLettered(jobId: UUID, rejection: JobRejection) async throws
}

extension JobHandler {
    public var maximumBatchSize: Int { 1 }

    public func handleBatch(_ messages: [Message]) async throws {
        for message in messages { try await handle(message) }
    }
}

/// Why a message is parked in its kind's dead-letter queue; ``code`` travels in the
/// `x-talent-reason` header and ``detail`` in `x-talent-last-error`.
public struct JobRejection: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The body is not a job message (not JSON, wrong shape, too large).
        case malformed
        /// `schemaVersion` missing or not one this worker reads.
        case unknownSchemaVersion = "unknown_schema_version"
        /// The body is larger than any job message (`JobMessageCodec.maxBodyBytes`).
        case tooLarge = "too_large"
        /// The handler failed on every attempt, retry tiers included.
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

    public var description: String { "\(code.rawValue): \(detail)" }
}

extension JobRejection {
    /// Decodes a delivery's body as `Message`, or the rejection that parks it (the job id taken from
    /// the `message-id` property when readable).
    public static func decoding<Message: VersionedJobMessage>(_ type: Message.Type, from delivery: AMQPDelivery)
        throws(JobRejection) -> Message
    {
        do {
            return try JobMessageCodec.decode(type, from: delivery.body)
        } catch {
            throw JobRejection(
                code: Code(error.code), detail: error.detail, jobId: delivery.messageId.flatMap(UUID.init(uuidString:)))
        }
    }
}

extension JobRejection.Code {
    /// The rejection for a body the codec refused.
    public init(_ code: JobMessageCodec.DecodeError.Code) {
        switch code {
        case .malformed: self = .malformed
        case .unknownSchemaVersion: self = .unknownSchemaVersion
        case .tooLarge: self = .tooLarge
        }
    }
}
