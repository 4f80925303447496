/// Why a unit-profile job was refused (recorded on the job as `failed` with the code and every reason).
public struct UnitProfileRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A submission with problems left (every one in ``problems``), or a handler maintenance
        /// before the profile is complete.
        case profileIncomplete = "profile_incomplete"
        /// The handler form breaks a rule (every one in ``problems``).
        case invalidForm = "invalid_form"
    }

    public var code: Code
    public var detail: String
    /// Each field prefixed with its step (``UnitProfileRules/flattened(_:)``).
    public var problems: [FieldProblem]

    public init(_ code: Code, _ detail: String, problems: [FieldProblem] = []) {
        self.code = code
        self.detail = detail
        self.problems = problems
    }

    /// The detail and every problem (`field: code (message)`), `; `-separated: the job's `errorDetail`.
    public var description: String {
        ([detail] + problems.map { "\($0.field): \($0.code) (\($0.message))" }).joined(separator: "; ")
    }
}
