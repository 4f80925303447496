import Foundation

/// The message of an attachment-validation job (schema: `schemas/jobs/attachment.validation.v1.schema.json`).
///
/// JSON, UTF-8, camelCase keys. `schemaVersion` is checked first by consumers: an unknown version is
/// dead-lettered, not guessed at.
public struct AttachmentValidationJob: UnitJobMessage, Hashable {
    public static let kind = JobKind.attachmentValidation
    /// The version this code writes and reads.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    /// Job id, also the idempotency key of the job's effect.
    public var jobId: UUID
    /// The acting unit; the worker re-checks that the attachment belongs to it.
    public var unitId: UnifiedSocialCreditCode
    public var attachmentId: UUID
    /// When the gateway accepted the request (ISO 8601).
    public var requestedAt: Date

    public init(jobId: UUID, unitId: UnifiedSocialCreditCode, attachmentId: UUID, requestedAt: Date) {
        self.schemaVersion = Self.currentSchemaVersion
        self.jobId = jobId
        self.unitId = unitId
        self.attachmentId = attachmentId
        self.requestedAt = requestedAt
    }
}
