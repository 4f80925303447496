import Foundation
import PostgresClient
import TalentCore

/// One job as a handler sees it: no transport type, only what the job is.
public struct Job<Message: VersionedJobMessage>: Sendable {
    /// The job id (AMQP `message-id`, the job row's key).
    public var id: UUID
    /// The acting unit (`nil`: a job of the platform's own); handlers re-check that what they write
    /// belongs to it.
    public var actingUnit: UnifiedSocialCreditCode?
    /// 1 for the first round of attempts, + 1 for each retry tier the job came back from.
    public var attempt: Int
    public var message: Message

    public init(message: Message, attempt: Int = 1) {
        self.id = message.jobId
        self.actingUnit = message.actingUnit
        self.attempt = attempt
        self.message = message
    }
}

extension Job where Message: UnitJobMessage {
    /// The acting unit of a job that always has one.
    public var unitId: UnifiedSocialCreditCode { message.unitId }
}

/// What applying a job did, recorded on its row in the same transaction as the effect.
public enum JobOutcome: Sendable, Hashable {
    /// The effect was written (`succeeded`); `code` may say how (for example `attachment_gone`: closed
    /// without effect because its subject no longer exists).
    case succeeded(code: String? = nil)
    /// A rule refused the job (`failed`, with a machine-readable code and the reasons in words); it is
    /// not retried. Refuse before writing anything: the transaction goes on with the batch's other jobs.
    case refused(code: String, detail: String)
}

/// Applies one job kind. The runtime (``JobConsumer``) decodes the message, calls ``prepare(_:)``
/// outside any transaction, then opens one transaction for the batch, locks the job rows and, for
/// each job still to do, calls ``apply(_:prepared:in:)`` and records its ``JobOutcome``; it acks only
/// after the commit. A redelivered job whose outcome is recorded is never applied again.
///
/// To add a job kind: a message type in `TalentCore/Jobs` (``VersionedJobMessage``), a handler
/// conforming to this protocol in `TalentJobs`, its case in `talent-worker`, and SQL per aggregate in
/// `TalentStore` taking the transaction's connection.
public protocol JobHandler: Sendable {
    associatedtype Message: VersionedJobMessage
    /// What ``prepare(_:)`` hands to ``apply(_:prepared:in:)``.
    associatedtype Prepared: Sendable = Void

    /// Most jobs applied in one transaction; 1 (the default) means this kind is not batched.
    var maximumBatchSize: Int { get }

    /// Whether the jobs of one batch are prepared at once (``prepare(_:)`` waits on something else:
    /// another process, the network) rather than one after another. Default `false`.
    var preparesConcurrently: Bool { get }

    /// Work before the transaction (reading inputs, inspecting files). Must write no effect. Thrown
    /// errors are retried: a few times at once, then through the retry tiers.
    func prepare(_ job: Job<Message>) async throws -> Prepared

    /// Whether `first` must be applied before `second` in one batch: the order in which the effects
    /// take their locks. Default: by job id.
    func appliesBefore(_ first: Job<Message>, _ second: Job<Message>) -> Bool

    /// Writes the job's effect in `transaction` (the runtime has locked the job row and found it still
    /// to do). Runs on a database thread: it must not block on anything but the database.
    /// - Throws: database errors: the whole batch rolls back and is retried one job at a time.
    func apply(_ job: Job<Message>, prepared: Prepared, in transaction: PostgresConnection) throws -> JobOutcome

    /// Writes the effects of a batch of jobs still to do, in the order given (``appliesBefore(_:_:)``),
    /// in one transaction: a kind that can write a batch with a few set-based statements instead of
    /// a few per job implements this. Default: ``apply(_:prepared:in:)`` for each job in turn.
    /// - Returns: one outcome per job, in the order given.
    /// - Throws: database errors: the whole batch rolls back and is retried one job at a time.
    func apply(_ batch: [PreparedJob<Message, Prepared>], in transaction: PostgresConnection) throws -> [JobOutcome]
}

/// A job with what ``JobHandler/prepare(_:)`` returned for it.
public struct PreparedJob<Message: VersionedJobMessage, Prepared: Sendable>: Sendable {
    public var job: Job<Message>
    public var prepared: Prepared

    public init(job: Job<Message>, prepared: Prepared) {
        self.job = job
        self.prepared = prepared
    }
}

extension JobHandler {
    public var maximumBatchSize: Int { 1 }

    public var preparesConcurrently: Bool { false }

    public func apply(_ batch: [PreparedJob<Message, Prepared>], in transaction: PostgresConnection) throws
        -> [JobOutcome]
    {
        try batch.map { try apply($0.job, prepared: $0.prepared, in: transaction) }
    }

    public func appliesBefore(_ first: Job<Message>, _ second: Job<Message>) -> Bool {
        first.id < second.id
    }
}

extension JobHandler where Prepared == Void {
    public func prepare(_ job: Job<Message>) async throws {}
}

/// Why a message is parked in its kind's dead-letter queue; ``code`` travels in the
/// `x-talent-reason` header and ``detail`` in `x-talent-last-error`.
public struct JobRejection: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
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
