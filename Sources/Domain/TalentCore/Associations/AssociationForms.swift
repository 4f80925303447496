/// A labour contract (劳动合同) of a current employee.
public struct LabourContract: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// 固定期限: needs an end date after the start date.
        case fixedTerm = "fixed_term"
        /// 无固定期限: no end date.
        case openEnded = "open_ended"
        /// 以完成一定工作任务为期限.
        case taskBased = "task_based"
    }

    public var kind: Kind
    public var startDate: CalendarDate
    public var endDate: CalendarDate?

    public init(kind: Kind, startDate: CalendarDate, endDate: CalendarDate? = nil) {
        self.kind = kind
        self.startDate = startDate
        self.endDate = endDate
    }

    /// - Throws: ``AssociationRefusal`` `invalid_form`.
    public func validate() throws(AssociationRefusal) {
        switch kind {
        case .fixedTerm:
            guard let endDate else { throw AssociationRefusal(.invalidForm, "a fixed-term contract needs an end date") }
            guard endDate > startDate else {
                throw AssociationRefusal(.invalidForm, "the contract must end after it starts")
            }
        case .openEnded:
            guard endDate == nil else {
                throw AssociationRefusal(.invalidForm, "an open-ended contract has no end date")
            }
        case .taskBased:
            if let endDate, endDate <= startDate {
                throw AssociationRefusal(.invalidForm, "the contract must end after it starts")
            }
        }
    }
}

/// Approval form (通过): entry date, position, optional department and contract.
public struct ApprovalForm: Sendable, Hashable, Codable {
    public var entryDate: CalendarDate
    public var position: String
    public var department: String?
    public var contract: LabourContract?

    public init(entryDate: CalendarDate, position: String, department: String? = nil, contract: LabourContract? = nil) {
        self.entryDate = entryDate
        self.position = position
        self.department = department
        self.contract = contract
    }

    public func validate() throws(AssociationRefusal) {
        try FormText.checkPosition(position, department: department, contract: contract)
    }
}

/// Rejection form (拒绝): the reason shown to the employee.
public struct RejectionForm: Sendable, Hashable, Codable {
    public var reason: String

    public init(reason: String) { self.reason = reason }

    public func validate() throws(AssociationRefusal) {
        try FormText.check(reason, field: "reason", maxLength: 500)
    }
}

/// Unlink form (解除关联): leave date and reason.
public struct UnlinkForm: Sendable, Hashable, Codable {
    public var leaveDate: CalendarDate
    public var reason: String

    public init(leaveDate: CalendarDate, reason: String) {
        self.leaveDate = leaveDate
        self.reason = reason
    }

    /// - Parameter entryDate: the association's entry date; the leave date may not be earlier.
    public func validate(entryDate: CalendarDate?) throws(AssociationRefusal) {
        try FormText.check(reason, field: "reason", maxLength: 500)
        if let entryDate, leaveDate < entryDate {
            throw AssociationRefusal(.invalidForm, "the leave date \(leaveDate) is before the entry date \(entryDate)")
        }
    }
}

/// Position / labour-contract update of a current employee.
public struct PositionUpdateForm: Sendable, Hashable, Codable {
    public var position: String
    public var department: String?
    public var contract: LabourContract?

    public init(position: String, department: String? = nil, contract: LabourContract? = nil) {
        self.position = position
        self.department = department
        self.contract = contract
    }

    public func validate() throws(AssociationRefusal) {
        try FormText.checkPosition(position, department: department, contract: contract)
    }
}

/// Free-text form fields: not blank, at most `maxLength` characters, no control characters.
enum FormText {
    /// The position part shared by approval and update forms.
    static func checkPosition(_ position: String, department: String?, contract: LabourContract?)
        throws(AssociationRefusal)
    {
        try check(position, field: "position", maxLength: 100)
        if let department { try check(department, field: "department", maxLength: 100) }
        try contract?.validate()
    }

    static func check(_ text: String, field: String, maxLength: Int) throws(AssociationRefusal) {
        guard !text.allSatisfy(\.isWhitespace) else { throw AssociationRefusal(.invalidForm, "\(field) is empty") }
        guard text.count <= maxLength else {
            throw AssociationRefusal(.invalidForm, "\(field) is longer than \(maxLength) characters")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw AssociationRefusal(.invalidForm, "\(field) contains control characters")
        }
    }
}
