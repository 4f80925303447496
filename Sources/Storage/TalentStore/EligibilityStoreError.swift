/// A failure of ``EligibilityStore`` other than the database's.
public struct EligibilityStoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// No rule set, or one whose JSON does not decode.
        case rulesUnreadable = "rules_unreadable"
        /// A rule set to publish has problems.
        case invalidRules = "invalid_rules"
    }

    public var code: Code
    public var detail: String

    public var description: String { "\(code.rawValue): \(detail)" }
}
