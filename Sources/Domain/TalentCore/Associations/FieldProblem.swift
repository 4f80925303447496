/// One field of a form that breaks a rule: the gateway answers every one of them at once (`400
/// invalid_request`, `fields`), and the worker, checking again under the association's lock, records
/// them on the job (`invalid_form`). The rules are the forms' `problems()`: one set for both.
public struct FieldProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The field's path in the request body, e.g. `position`, `contract.endDate`,
    /// `person.education[0].school`.
    public var field: String
    /// A stable code: `required`, `empty`, `too_long`, `control_characters`, `invalid_value`,
    /// `wrong_type`, `ends_before_start`, `end_date_required`, `end_date_not_allowed`, `too_many`,
    /// `before_entry_date`, or an identifier's reason (`check_character_mismatch`, `wrong_length`, …).
    public var code: String
    /// For people: what is wrong, in English.
    public var message: String

    public init(field: String, code: String, message: String) {
        self.field = field
        self.code = code
        self.message = message
    }

    public var description: String { "\(field): \(message)" }

    /// The same problem under `prefix` (`person` + `name` → `person.name`).
    public func within(_ prefix: String) -> FieldProblem {
        FieldProblem(field: prefix + "." + field, code: code, message: message)
    }
}

extension AssociationRefusal {
    /// `invalid_form` with every problem in ``AssociationRefusal/detail`` (`; `-separated).
    init(problems: [FieldProblem]) {
        self.init(.invalidForm, problems.map(\.description).joined(separator: "; "))
    }
}

extension Array where Element == FieldProblem {
    /// - Throws: ``AssociationRefusal`` `invalid_form` naming every problem, when there is one.
    func throwIfAny() throws(AssociationRefusal) {
        guard isEmpty else { throw AssociationRefusal(problems: self) }
    }
}
