import Foundation
import TalentCore

/// The unit's home answer (`GET /v1/unit`): who it is, whether its profile must be completed first
/// (manual §2: "complete it, or leave"), its association code once usable, and its basic and handler
/// information (manual §6).
public struct UnitHome: Codable, Sendable, Hashable {
    public enum ProfileStatus: String, Codable, Sendable, Hashable {
        case incomplete, complete
    }

    public var unitId: String
    /// The profile's name once complete, else the name the identity platform gave.
    public var name: String?
    public var profileStatus: ProfileStatus
    /// `true` while the profile is incomplete: the portal asks the operator to complete it or leave.
    public var profileCompletionRequired: Bool
    /// Steps of the draft saved so far (the portal resumes there).
    public var savedSteps: [ProfileStep]
    /// The association code (关联代码) employees enter; `null` until the profile is complete, because
    /// requests against an incomplete unit are refused (`unit_profile_incomplete`).
    public var associationCode: String?
    public var basicInformation: UnitBasicInformation?
    public var handlerInformation: UnitHandlerInformation?
    public var profileCompletedAt: String?

    public init(
        unitId: String, name: String?, profileStatus: ProfileStatus, savedSteps: [ProfileStep],
        associationCode: String?, basicInformation: UnitBasicInformation?, handlerInformation: UnitHandlerInformation?,
        profileCompletedAt: String?
    ) {
        self.unitId = unitId
        self.name = name
        self.profileStatus = profileStatus
        self.profileCompletionRequired = profileStatus == .incomplete
        self.savedSteps = savedSteps
        self.associationCode = associationCode
        self.basicInformation = basicInformation
        self.handlerInformation = handlerInformation
        self.profileCompletedAt = profileCompletedAt
    }
}

/// 单位基础信息 (manual §6, 图 21).
public struct UnitBasicInformation: Codable, Sendable, Hashable {
    public var name: String
    public var unifiedSocialCreditCode: String
    public var officeAddress: String
    public var unitType: UnitType
    public var unitTypeLabel: String

    public init(_ general: GeneralInformation, unitId: String) {
        name = general.name
        unifiedSocialCreditCode = unitId
        officeAddress = general.officeAddress
        unitType = general.unitType
        unitTypeLabel = general.unitType.label
    }
}

/// 业务经办人信息 (manual §6, 图 21): handler and contact, emergency contact and contact.
public struct UnitHandlerInformation: Codable, Sendable, Hashable {
    public var handlerName: String
    public var handlerMobile: String
    public var emergencyContactName: String
    public var emergencyContactMobile: String

    public init(_ handler: BusinessHandler) {
        handlerName = handler.name
        handlerMobile = handler.mobile
        emergencyContactName = handler.emergencyContactName
        emergencyContactMobile = handler.emergencyContactMobile
    }
}

/// The full view (`GET /v1/unit/profile`, manual §6 图 22): the current profile's steps, with the
/// attachments it names as they are now.
public struct UnitProfileView: Codable, Sendable, Hashable {
    public var unitId: String
    public var profileStatus: UnitHome.ProfileStatus
    /// `null` until the profile is complete.
    public var profile: UnitProfile?
    public var attachments: [AttachmentRecord]
    public var profileCompletedAt: String?
    public var profileUpdatedAt: String?

    public init(
        unitId: String, profileStatus: UnitHome.ProfileStatus, profile: UnitProfile?, attachments: [AttachmentRecord],
        profileCompletedAt: String?, profileUpdatedAt: String?
    ) {
        self.unitId = unitId
        self.profileStatus = profileStatus
        self.profile = profile
        self.attachments = attachments
        self.profileCompletedAt = profileCompletedAt
        self.profileUpdatedAt = profileUpdatedAt
    }
}

/// One saved step of the draft.
public struct ProfileDraftStep: Codable, Sendable, Hashable {
    public var step: ProfileStep
    /// Larger on each save (one sequence for every draft: a revision is never reused).
    public var revision: Int
    public var savedBy: String
    public var savedAt: String

    public init(step: ProfileStep, revision: Int, savedBy: String, savedAt: String) {
        self.step = step
        self.revision = revision
        self.savedBy = savedBy
        self.savedAt = savedAt
    }
}

/// The draft (`GET /v1/unit/profile/draft`): the saved steps only.
public struct ProfileDraft: Codable, Sendable, Hashable {
    public var steps: [ProfileDraftStep]
    public var profile: UnitProfile

    public init(steps: [ProfileDraftStep], profile: UnitProfile) {
        self.steps = steps
        self.profile = profile
    }
}

/// The preview (`GET /v1/unit/profile/preview`): the whole profile as a submission would send it (the
/// draft's steps over the current profile) and every remaining problem per step.
public struct ProfilePreview: Codable, Sendable, Hashable {
    public var profile: UnitProfile
    /// Step name → its problems (fields relative to the step); steps without problems are absent.
    public var problems: [String: [FieldProblem]]
    /// Whether a submission would be accepted now.
    public var ready: Bool
    /// Steps taken from the draft (the others from the current profile).
    public var draftSteps: [ProfileStep]

    public init(profile: UnitProfile, problems: [ProfileStep: [FieldProblem]], draftSteps: [ProfileStep]) {
        self.profile = profile
        self.problems = Dictionary(uniqueKeysWithValues: problems.map { ($0.key.rawValue, $0.value) })
        self.ready = problems.isEmpty
        self.draftSteps = draftSteps
    }
}

/// One change of the current profile (`GET /v1/unit/profile/changes`): who, when, before → after.
public struct ProfileChange: Codable, Sendable, Hashable {
    public var jobId: UUID
    public var actor: String
    public var step: ProfileStep
    /// The step's field (`name`, `officeAddress`, `items`…).
    public var field: String
    /// `null` when the field had no value.
    public var before: JSONValue?
    public var after: JSONValue?
    public var at: String

    public init(
        jobId: UUID, actor: String, step: ProfileStep, field: String, before: JSONValue?, after: JSONValue?, at: String
    ) {
        self.jobId = jobId
        self.actor = actor
        self.step = step
        self.field = field
        self.before = before
        self.after = after
        self.at = at
    }
}

/// The `202` of a profile submission or handler maintenance.
public struct UnitJobAccepted: Codable, Sendable, Hashable {
    public var job: JobRecord

    public init(job: JobRecord) { self.job = job }
}
