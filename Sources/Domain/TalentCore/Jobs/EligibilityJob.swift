import Foundation

/// The message of an eligibility job (queue `eligibility.check`, PRODUCT.md §2): a change of an input
/// of the restricted services' rules reported by an upstream system, or a plain recomputation. Each
/// action writes its input and recomputes the decisions of exactly the units it touches, in one
/// transaction (``EligibilityRules``). Changes a unit makes itself (its profile, its associations)
/// recompute its decisions inside their own jobs' transactions instead; expiries are caught by the
/// daily sweep.
///
/// JSON, UTF-8, camelCase keys, schema `schemas/jobs/eligibility.check.v1.schema.json`. The
/// platform's own jobs (no acting unit), submitted by upstream services:
/// - `credit_list`: ``added`` units put on the credit restriction list (with ``reason``), ``removed``
///   units taken off it;
/// - `registration_changes`: ``changes`` reported by the registration authority;
/// - `business_items`: ``items`` reported by a business system (``actor`` is the reporter);
/// - `recompute`: the decisions of ``unitIds`` recomputed under the current rule set.
public struct EligibilityJob: VersionedJobMessage, Hashable {
    public static let currentSchemaVersion = 1
    public static let kind = JobKind.eligibilityCheck

    /// Most units (credit list) or registration changes one job carries.
    public static let maximumEntries = 1_000
    /// Most business items one job carries (an item is up to about 560 bytes of JSON: 100 keep the
    /// message under ``JobMessageCodec/maxBodyBytes``).
    public static let maximumItems = 100

    /// What is wrong with a credit listing's reason: empty, longer than 200 characters, control
    /// characters.
    public static func reasonProblems(_ reason: String?) -> [FieldProblem] {
        reason.map { FormText.problems($0, field: "reason", maxLength: 200) } ?? []
    }

    public enum Action: String, Codable, Sendable, Hashable {
        case creditList = "credit_list"
        case registrationChanges = "registration_changes"
        case businessItems = "business_items"
        case recompute
    }

    public var schemaVersion: Int
    public var jobId: UUID
    public var action: Action
    /// `service:<name>`.
    public var actor: String
    public var requestedAt: Date
    public var added: [UnifiedSocialCreditCode]?
    public var removed: [UnifiedSocialCreditCode]?
    /// Why the ``added`` units are listed (列入原因), at most 200 characters.
    public var reason: String?
    public var changes: [RegistrationChange]?
    public var items: [BusinessItem]?
    public var unitIds: [UnifiedSocialCreditCode]?

    public var actingUnit: UnifiedSocialCreditCode? { nil }

    public init(
        jobId: UUID, action: Action, actor: String, requestedAt: Date, added: [UnifiedSocialCreditCode]? = nil,
        removed: [UnifiedSocialCreditCode]? = nil, reason: String? = nil, changes: [RegistrationChange]? = nil,
        items: [BusinessItem]? = nil, unitIds: [UnifiedSocialCreditCode]? = nil
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.jobId = jobId
        self.action = action
        self.actor = actor
        self.requestedAt = requestedAt
        self.added = added
        self.removed = removed
        self.reason = reason
        self.changes = changes
        self.items = items
        self.unitIds = unitIds
    }

    /// Every unit the job touches, each once, sorted (the order their rows are locked in).
    public var touchedUnits: [UnifiedSocialCreditCode] {
        let all =
            (added ?? []) + (removed ?? []) + (changes ?? []).map(\.unitId) + (items ?? []).map(\.unitId)
            + (unitIds ?? [])
        return Array(Set(all)).sorted { $0.rawValue < $1.rawValue }
    }
}
