import Foundation
import TalentCore

/// `POST /v1/service/credit-list`: units put on or taken off the credit restriction list (信用限制名单).
/// At most 1,000 codes in all; a code in both lists is refused.
public struct CreditListUpdate: Codable, Sendable, Hashable {
    /// Unified social credit codes (GB 32100-2015) to list.
    public var added: [String]?
    /// Codes to take off the list.
    public var removed: [String]?
    /// Why the added units are listed, at most 200 characters.
    public var reason: String?

    public init(added: [String]? = nil, removed: [String]? = nil, reason: String? = nil) {
        self.added = added
        self.removed = removed
        self.reason = reason
    }
}

/// `POST /v1/service/registration-changes`: changes of units' registration reported by the
/// registration authority (1–1,000).
public struct RegistrationChangeReport: Codable, Sendable, Hashable {
    public struct Change: Codable, Sendable, Hashable {
        public var unitId: String
        /// `YYYY-MM-DD`, not in the future.
        public var changedOn: String

        public init(unitId: String, changedOn: String) {
            self.unitId = unitId
            self.changedOn = changedOn
        }
    }

    public var changes: [Change]

    public init(changes: [Change]) { self.changes = changes }
}

/// `POST /v1/service/business-items`: business items (业务事项) reported by a business system
/// (1–1,000); the reporter is the calling service.
public struct BusinessItemReport: Codable, Sendable, Hashable {
    public struct Item: Codable, Sendable, Hashable {
        /// The reporter's own id of the item: 1–64 printable ASCII characters.
        public var reference: String
        public var unitId: String
        public var service: RestrictedService
        public var status: BusinessItem.Status
        /// The employee the item is for (GB 11643-1999), absent for the unit's own business.
        public var residentId: String?
        /// 1–100 characters.
        public var title: String?
        /// RFC 3339: when the item reached this status; older reports than the stored one are ignored.
        public var updatedAt: String

        public init(
            reference: String, unitId: String, service: RestrictedService, status: BusinessItem.Status,
            residentId: String? = nil, title: String? = nil, updatedAt: String
        ) {
            self.reference = reference
            self.unitId = unitId
            self.service = service
            self.status = status
            self.residentId = residentId
            self.title = title
            self.updatedAt = updatedAt
        }
    }

    public var items: [Item]

    public init(items: [Item]) { self.items = items }
}

/// The `202` of an eligibility job (credit list, registration changes, business items).
public struct EligibilityJobAccepted: Codable, Sendable, Hashable {
    public var job: JobRecord

    public init(job: JobRecord) { self.job = job }
}

/// `GET /v1/services`: every service the unit can use (人才服务列表, manual §4), with its association
/// code.
public struct ServiceList: Codable, Sendable, Hashable {
    /// One entry of the list.
    public struct Entry: Codable, Sendable, Hashable {
        /// `work_residence_permit`, `talent_introduction` or `attachment_management`.
        public var service: String
        /// Chinese name.
        public var name: String
        public var nameEnglish: String
        /// `allowed`, or `restricted` with ``reasons`` (restricted services only; attachment
        /// management is always `allowed`).
        public var status: EligibilityDecision.Status
        /// Every reason the unit is restricted, empty when allowed.
        public var reasons: [EligibilityReason]
        /// The rule-set version of the decision (restricted services only).
        public var ruleSetVersion: Int?
        /// RFC 3339: when the decision was made; `null` when the unit was never evaluated.
        public var decidedAt: String?
        /// Where the portal's entry leads: the gateway path of attachment management, the business
        /// system's name for the restricted services.
        public var entry: String

        public init(
            service: String, name: String, nameEnglish: String, status: EligibilityDecision.Status,
            reasons: [EligibilityReason], ruleSetVersion: Int?, decidedAt: String?, entry: String
        ) {
            self.service = service
            self.name = name
            self.nameEnglish = nameEnglish
            self.status = status
            self.reasons = reasons
            self.ruleSetVersion = ruleSetVersion
            self.decidedAt = decidedAt
            self.entry = entry
        }
    }

    /// What employees enter to ask to be associated with the unit (关联代码).
    public var associationCode: String
    public var services: [Entry]

    public init(associationCode: String, services: [Entry]) {
        self.associationCode = associationCode
        self.services = services
    }
}

/// A business item in the unit's in-progress list.
public struct BusinessItemView: Codable, Sendable, Hashable {
    public struct Employee: Codable, Sendable, Hashable {
        /// The resident identity number, masked (first 6 and last 4 characters shown).
        public var residentIdMasked: String
        /// The employee's name when the platform knows the person.
        public var name: String?

        public init(residentIdMasked: String, name: String?) {
            self.residentIdMasked = residentIdMasked
            self.name = name
        }
    }

    public var id: UUID
    public var reference: String
    public var service: RestrictedService
    /// The service's Chinese name.
    public var serviceName: String
    public var status: BusinessItem.Status
    /// The status's Chinese label.
    public var statusLabel: String
    public var title: String?
    public var employee: Employee?
    /// The reporting system (`service:<name>`).
    public var reportedBy: String
    /// RFC 3339.
    public var createdAt: String
    /// RFC 3339: when the item reached its status.
    public var updatedAt: String

    public init(
        id: UUID, reference: String, service: RestrictedService, status: BusinessItem.Status, title: String?,
        employee: Employee?, reportedBy: String, createdAt: String, updatedAt: String
    ) {
        self.id = id
        self.reference = reference
        self.service = service
        self.serviceName = service.label
        self.status = status
        self.statusLabel = status.label
        self.title = title
        self.employee = employee
        self.reportedBy = reportedBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// `GET /v1/business-items`: the unit's business in progress (单位当前在办业务, manual §7), newest
/// first, with an explicit empty state.
public struct BusinessItemsInProgress: Codable, Sendable, Hashable {
    public var items: [BusinessItemView]
    public var total: Int
    public var limit: Int
    public var offset: Int
    /// `true` when the unit has no business in progress at all.
    public var empty: Bool
    /// What the portal shows when ``empty`` (没有正在办理中的业务), else `null`.
    public var emptyMessage: String?
    public var emptyMessageEnglish: String?

    /// The empty state's messages.
    public static let emptyText = ("没有正在办理中的业务", "No business in progress")

    public init(page: Page<BusinessItemView>) {
        self.items = page.items
        self.total = page.total
        self.limit = page.limit
        self.offset = page.offset
        self.empty = page.total == 0
        self.emptyMessage = page.total == 0 ? Self.emptyText.0 : nil
        self.emptyMessageEnglish = page.total == 0 ? Self.emptyText.1 : nil
    }
}
