import Foundation
import TalentCore

/// Counts shown on the employee-list home card (manual §5, 图 14).
public struct AssociationCounts: Codable, Sendable, Hashable {
    /// Association requests waiting for the unit (待确认).
    public var pending: Int
    /// Current employees (在职).
    public var active: Int
}

/// Filters of the pending-request and employee lists; `nil` means "all" (manual §5).
public struct AssociationFilter: Sendable, Hashable {
    /// Part of the name (case-insensitive).
    public var name: String?
    /// The resident identity number, or its beginning.
    public var residentId: String?
    /// Request date (pending list) or entry date (employee list) range, inclusive.
    public var from: CalendarDate?
    public var to: CalendarDate?
    /// Part of the position (employee list).
    public var position: String?
    public var sex: Sex?

    public init(
        name: String? = nil, residentId: String? = nil, from: CalendarDate? = nil, to: CalendarDate? = nil,
        position: String? = nil, sex: Sex? = nil
    ) {
        self.name = name
        self.residentId = residentId
        self.from = from
        self.to = to
        self.position = position
        self.sex = sex
    }
}

/// One row of the pending-request list (待确认单位关联列表).
public struct PendingRequest: Codable, Sendable, Hashable {
    public var associationId: UUID
    public var name: String
    public var residentId: String
    public var sex: Sex
    public var birthDate: CalendarDate
    public var mobile: String?
    /// The most recent education record's degree, if any.
    public var degree: String?
    public var requestedAt: String
}

/// One row of the current-employee list (在职员工列表).
public struct EmployeeSummary: Codable, Sendable, Hashable {
    public var associationId: UUID
    public var name: String
    public var residentId: String
    public var sex: Sex
    public var birthDate: CalendarDate
    public var position: String?
    public var department: String?
    public var entryDate: CalendarDate?
    public var contract: LabourContract?
}

/// An employee's full view (员工当前信息展示): general information, education, work history, current
/// position and contract, and the association's history.
public struct EmployeeDetail: Codable, Sendable, Hashable {
    public var associationId: UUID
    public var state: AssociationState
    public var name: String
    public var residentId: String
    public var sex: Sex
    public var birthDate: CalendarDate
    public var mobile: String?
    public var education: [EducationRecord]
    public var workHistory: [WorkRecord]
    public var position: String?
    public var department: String?
    public var entryDate: CalendarDate?
    public var leaveDate: CalendarDate?
    public var contract: LabourContract?
    public var requestedAt: String
    public var decidedAt: String?
    public var history: [AssociationTransition]
}

/// One applied transition: who, when, the form's contents.
public struct AssociationTransition: Codable, Sendable, Hashable {
    public var action: AssociationAction
    public var fromState: AssociationState?
    public var toState: AssociationState
    public var actor: String
    public var at: String
    public var jobId: UUID
    public var form: JSONValue
}

/// The unlink pre-check's answer.
public struct UnlinkCheck: Codable, Sendable, Hashable {
    public var allowed: Bool
    public var reasons: [UnlinkReason]

    public init(allowed: Bool, reasons: [UnlinkReason]) {
        self.allowed = allowed
        self.reasons = reasons
    }
}
