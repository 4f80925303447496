import Foundation

/// A job message ready to publish or store in the outbox: its kind (routing key), id (AMQP
/// `message-id`), unit, schema version and encoded body.
///
/// The gateway stores the body with the job row in the transaction that accepts the request, so the
/// relay can republish any kind of job from the row alone.
public struct JobEnvelope: Sendable, Hashable {
    public var kind: JobKind
    public var jobId: UUID
    /// The acting unit (``VersionedJobMessage/actingUnit``), `nil` for a job of the platform's own.
    public var unitId: UnifiedSocialCreditCode?
    public var schemaVersion: Int
    /// UTF-8 JSON produced by ``JobMessageCodec/encode(_:)``.
    public var body: [UInt8]

    public init(kind: JobKind, jobId: UUID, unitId: UnifiedSocialCreditCode?, schemaVersion: Int, body: [UInt8]) {
        self.kind = kind
        self.jobId = jobId
        self.unitId = unitId
        self.schemaVersion = schemaVersion
        self.body = body
    }

    /// The envelope of a job message. - Throws: ``JobMessageCodec/EncodeError``.
    public init<Message: VersionedJobMessage>(_ job: Message) throws(JobMessageCodec.EncodeError) {
        self.init(
            kind: Message.kind, jobId: job.jobId, unitId: job.actingUnit, schemaVersion: job.schemaVersion,
            body: try JobMessageCodec.encode(job))
    }

    /// The `message-id` property: the job id in lower case.
    public var messageId: String { jobId.uuidString.lowercased() }
}
