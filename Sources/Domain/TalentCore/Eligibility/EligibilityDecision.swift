import Foundation

/// Whether a unit may enter a restricted service, as the eligibility rules decided it
/// (``EligibilityRules/evaluate(_:ruleSet:today:)``).
public struct EligibilityDecision: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// Every rule allows it (准入).
        case allowed
        /// At least one rule refuses it (受限): ``EligibilityDecision/reasons`` lists every one.
        case restricted
    }

    public var service: RestrictedService
    public var status: Status
    /// Every failed rule, in rule order; empty when allowed.
    public var reasons: [EligibilityReason]
    /// The version of the rule set that decided it (``EligibilityRuleSet/version``).
    public var ruleSetVersion: Int

    public init(service: RestrictedService, reasons: [EligibilityReason], ruleSetVersion: Int) {
        self.service = service
        self.status = reasons.isEmpty ? .allowed : .restricted
        self.reasons = reasons
        self.ruleSetVersion = ruleSetVersion
    }
}
