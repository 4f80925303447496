import Foundation
import TalentCore

/// Counts shown on the employee-list home card (manual §5, 图 14).
public struct AssociationCounts: Codable, Sendable, Hashable {
    /// Association requests waiting for the unit (待确认).
    public var pending: Int
    /// Current employees (在职).
    public var active: Int

    public init(
        pending: Int, active: Int
    ) {
        self.pending = pending
        self.active = active
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

    public init(
        associationId: UUID, name: String, residentId: String, sex: Sex, birthDate: CalendarDate, mobile: String? = nil,
        degree: String? = nil, requestedAt: String
    ) {
        self.associationId = associationId
        self.name = name
        self.residentId = residentId
        self.sex = sex
        self.birthDate = birthDate
        self.mobile = mobile
        self.degree = degree
        self.requestedAt = requestedAt
    }
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

    public init(
        associationId: UUID, name: String, residentId: String, sex: Sex, birthDate: CalendarDate,
        position: String? = nil, department: String? = nil, entryDate: CalendarDate? = nil,
        contract: LabourContract? = nil
    ) {
        self.associationId = associationId
        self.name = name
        self.residentId = residentId
        self.sex = sex
        self.birthDate = birthDate
        self.position = position
        self.department = department
        self.entryDate = entryDate
        self.contract = contract
    }
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

    public init(
        associationId: UUID, state: AssociationState, name: String, residentId: String, sex: Sex,
        birthDate: CalendarDate, mobile: String? = nil, education: [EducationRecord], workHistory: [WorkRecord],
        position: String? = nil, department: String? = nil, entryDate: CalendarDate? = nil,
        leaveDate: CalendarDate? = nil, contract: LabourContract? = nil, requestedAt: String, decidedAt: String? = nil,
        history: [AssociationTransition]
    ) {
        self.associationId = associationId
        self.state = state
        self.name = name
        self.residentId = residentId
        self.sex = sex
        self.birthDate = birthDate
        self.mobile = mobile
        self.education = education
        self.workHistory = workHistory
        self.position = position
        self.department = department
        self.entryDate = entryDate
        self.leaveDate = leaveDate
        self.contract = contract
        self.requestedAt = requestedAt
        self.decidedAt = decidedAt
        self.history = history
    }
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

    public init(
        action: AssociationAction, fromState: AssociationState? = nil, toState: AssociationState, actor: String,
        at: String, jobId: UUID, form: JSONValue
    ) {
        self.action = action
        self.fromState = fromState
        self.toState = toState
        self.actor = actor
        self.at = at
        self.jobId = jobId
        self.form = form
    }
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

/// `GET /v1/employee-summary`.
public struct EmployeeSummaryResponse: Codable, Sendable, Hashable {
    /// What employees enter to ask to be associated with the unit (关联代码).
    public var associationCode: String
    public var pending: Int
    public var active: Int

    public init(associationCode: String, pending: Int, active: Int) {
        self.associationCode = associationCode
        self.pending = pending
        self.active = active
    }
}

/// The `202` answer to an association change.
public struct AssociationJobAccepted: Codable, Sendable, Hashable {
    public var associationId: UUID
    public var job: JobRecord
    /// Accepted with warnings, e.g. a resident identity number whose region code is not in GB/T 2260.
    public var warnings: [String]?

    public init(associationId: UUID, job: JobRecord, warnings: [String]? = nil) {
        self.associationId = associationId
        self.job = job
        self.warnings = warnings
    }
}

/// The body of `POST /v1/service/association-requests`.
public struct AssociationRequestSubmission: Codable, Sendable, Hashable {
    /// The unit's association code (关联代码) as the employee entered it.
    public var associationCode: String
    public var person: PersonProfile

    public init(associationCode: String, person: PersonProfile) {
        self.associationCode = associationCode
        self.person = person
    }
}
