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

    /// Every rule the contract breaks (fields relative to the contract).
    public func problems() -> [FieldProblem] {
        let endsTooEarly = FieldProblem(
            field: "endDate", code: "ends_before_start", message: "the contract must end after it starts")
        switch kind {
        case .fixedTerm:
            guard let endDate else {
                return [
                    FieldProblem(
                        field: "endDate", code: "end_date_required", message: "a fixed-term contract needs an end date")
                ]
            }
            return endDate > startDate ? [] : [endsTooEarly]
        case .openEnded:
            return endDate == nil
                ? []
                : [
                    FieldProblem(
                        field: "endDate", code: "end_date_not_allowed",
                        message: "an open-ended contract has no end date")
                ]
        case .taskBased:
            if let endDate, endDate <= startDate { return [endsTooEarly] }
            return []
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

    /// Every rule the form breaks.
    public func problems() -> [FieldProblem] {
        FormText.positionProblems(position, department: department, contract: contract)
    }

    /// - Throws: ``AssociationRefusal`` `invalid_form` naming every problem.
    public func validate() throws(AssociationRefusal) { try problems().throwIfAny() }
}

/// Rejection form (拒绝): the reason shown to the employee.
public struct RejectionForm: Sendable, Hashable, Codable {
    public var reason: String

    public init(reason: String) { self.reason = reason }

    /// Every rule the form breaks.
    public func problems() -> [FieldProblem] {
        FormText.problems(reason, field: "reason", maxLength: 500)
    }

    /// - Throws: ``AssociationRefusal`` `invalid_form` naming every problem.
    public func validate() throws(AssociationRefusal) { try problems().throwIfAny() }
}

/// Unlink form (解除关联): leave date and reason.
public struct UnlinkForm: Sendable, Hashable, Codable {
    public var leaveDate: CalendarDate
    public var reason: String

    public init(leaveDate: CalendarDate, reason: String) {
        self.leaveDate = leaveDate
        self.reason = reason
    }

    /// Every rule the form breaks.
    /// - Parameter entryDate: the association's entry date; the leave date may not be earlier.
    public func problems(entryDate: CalendarDate?) -> [FieldProblem] {
        var problems = FormText.problems(reason, field: "reason", maxLength: 500)
        if let entryDate, leaveDate < entryDate {
            problems.append(
                FieldProblem(
                    field: "leaveDate", code: "before_entry_date",
                    message: "the leave date \(leaveDate) is before the entry date \(entryDate)"))
        }
        return problems
    }

    /// - Throws: ``AssociationRefusal`` `invalid_form` naming every problem.
    public func validate(entryDate: CalendarDate?) throws(AssociationRefusal) {
        try problems(entryDate: entryDate).throwIfAny()
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

    /// Every rule the form breaks.
    public func problems() -> [FieldProblem] {
        FormText.positionProblems(position, department: department, contract: contract)
    }

    /// - Throws: ``AssociationRefusal`` `invalid_form` naming every problem.
    public func validate() throws(AssociationRefusal) { try problems().throwIfAny() }
}

/// Free-text form fields: not blank, at most `maxLength` characters, no control characters.
enum FormText {
    /// The position part shared by approval and update forms.
    static func positionProblems(_ position: String, department: String?, contract: LabourContract?)
        -> [FieldProblem]
    {
        problems(position, field: "position", maxLength: 100)
            + (department.map { problems($0, field: "department", maxLength: 100) } ?? [])
            + (contract?.problems().map { $0.within("contract") } ?? [])
    }

    /// The first rule `text` breaks, as the problem of `field` (a text has at most one).
    static func problems(_ text: String, field: String, maxLength: Int) -> [FieldProblem] {
        if text.allSatisfy(\.isWhitespace) {
            return [FieldProblem(field: field, code: "empty", message: "\(field) is empty")]
        }
        if text.count > maxLength {
            return [
                FieldProblem(
                    field: field, code: "too_long", message: "\(field) is longer than \(maxLength) characters")
            ]
        }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return [
                FieldProblem(field: field, code: "control_characters", message: "\(field) contains control characters")
            ]
        }
        return []
    }

    /// A record's `endDate` before its `startDate`.
    static func endDateProblems(_ startDate: CalendarDate, _ endDate: CalendarDate?) -> [FieldProblem] {
        guard let endDate, endDate < startDate else { return [] }
        return [FieldProblem(field: "endDate", code: "ends_before_start", message: "it ends before it starts")]
    }
}
