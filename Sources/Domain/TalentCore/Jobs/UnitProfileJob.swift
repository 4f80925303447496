import Foundation

/// The message of a unit-profile job (queue `unit.profile`): a profile submission (单位信息完善 and
/// its later modifications, manual §2, §6) or a handler maintenance (业务经办人信息维护, manual §6),
/// acting for one unit.
///
/// JSON, UTF-8, camelCase keys, schema `schemas/jobs/unit.profile.v1.schema.json`. `submit_profile`
/// carries ``profile`` (the saved draft steps submitted; the worker lays them over the current profile
/// under the unit's lock, so a change applied since is kept) and ``draftRevisions`` (their revisions,
/// removed from the draft once applied); `update_handler` carries ``handler``.
public struct UnitProfileJob: UnitJobMessage, Hashable {
    public static let currentSchemaVersion = 1
    public static let kind = JobKind.unitProfile

    public enum Action: String, Codable, Sendable, Hashable {
        case submitProfile = "submit_profile"
        case updateHandler = "update_handler"
    }

    public var schemaVersion: Int
    public var jobId: UUID
    public var unitId: UnifiedSocialCreditCode
    public var action: Action
    /// The unit's operator (token subject).
    public var actor: String
    public var requestedAt: Date
    public var profile: UnitProfile?
    /// Step → revision of the draft step submitted.
    public var draftRevisions: [String: Int]?
    public var handler: BusinessHandler?

    /// A profile submission.
    public init(
        jobId: UUID, unitId: UnifiedSocialCreditCode, actor: String, requestedAt: Date, profile: UnitProfile,
        draftRevisions: [ProfileStep: Int]
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.jobId = jobId
        self.unitId = unitId
        self.action = .submitProfile
        self.actor = actor
        self.requestedAt = requestedAt
        self.profile = profile
        self.draftRevisions = Dictionary(uniqueKeysWithValues: draftRevisions.map { ($0.key.rawValue, $0.value) })
        self.handler = nil
    }

    /// A handler maintenance.
    public init(
        jobId: UUID, unitId: UnifiedSocialCreditCode, actor: String, requestedAt: Date, handler: BusinessHandler
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.jobId = jobId
        self.unitId = unitId
        self.action = .updateHandler
        self.actor = actor
        self.requestedAt = requestedAt
        self.profile = nil
        self.draftRevisions = nil
        self.handler = handler
    }

    /// The submitted draft steps and their revisions (unknown step names are ignored).
    public var submittedRevisions: [ProfileStep: Int] {
        Dictionary(
            uniqueKeysWithValues: (draftRevisions ?? [:]).compactMap { key, value in
                ProfileStep(rawValue: key).map { ($0, value) }
            })
    }
}
