import Foundation

/// The message of a notice job (queue `notice.fanout`, PRODUCT.md §2): the publication of a policy
/// notice and its fan-out to the audience's inboxes, a withdrawal, or a unit's read marks (manual §3).
///
/// JSON, UTF-8, camelCase keys, schema `schemas/jobs/notice.fanout.v1.schema.json`.
/// - `publish` carries ``noticeId``, the notice the gateway stored with the job (its id is the job's
///   id); the platform's own job (no acting unit), submitted by an upstream service.
/// - `withdraw` carries ``noticeId``; also the platform's own.
/// - `mark_read` acts for ``unitId`` and carries ``noticeIds`` and ``promptIds`` (the notices and
///   system prompts read), and ``readAllUpTo`` when every notice of the unit's inbox up to that inbox
///   position was read (the newest one shown when the unit asked).
public struct NoticeJob: VersionedJobMessage, Hashable {
    public static let currentSchemaVersion = 1
    public static let kind = JobKind.noticeFanout

    public enum Action: String, Codable, Sendable, Hashable {
        case publish
        case withdraw
        case markRead = "mark_read"
    }

    public var schemaVersion: Int
    public var jobId: UUID
    public var action: Action
    /// The unit whose read marks these are (`mark_read` only).
    public var unitId: UnifiedSocialCreditCode?
    /// Who asked: `service:<name>`, or the unit's operator.
    public var actor: String
    public var requestedAt: Date
    public var noticeId: UUID?
    public var noticeIds: [UUID]?
    public var readAllUpTo: Int64?
    public var promptIds: [String]?

    public var actingUnit: UnifiedSocialCreditCode? { unitId }

    /// The publication (`publish`, `noticeId` = `jobId`) or withdrawal (`withdraw`) of notice `noticeId`.
    public init(jobId: UUID, action: Action, noticeId: UUID, actor: String, requestedAt: Date) {
        self.schemaVersion = Self.currentSchemaVersion
        self.jobId = jobId
        self.action = action
        self.actor = actor
        self.requestedAt = requestedAt
        self.noticeId = noticeId
    }

    /// Read marks of `unitId`.
    public init(
        jobId: UUID, unitId: UnifiedSocialCreditCode, actor: String, requestedAt: Date, noticeIds: [UUID],
        readAllUpTo: Int64?, promptIds: [String]
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.jobId = jobId
        self.action = .markRead
        self.unitId = unitId
        self.actor = actor
        self.requestedAt = requestedAt
        self.noticeIds = noticeIds
        self.readAllUpTo = readAllUpTo
        self.promptIds = promptIds
    }
}
