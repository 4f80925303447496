/// Why a unit is restricted from a service: one failed eligibility rule (``EligibilityRules``), with a
/// stable code portals key their messages on and the message in Chinese and English.
public struct EligibilityReason: Sendable, Hashable, Codable {
    /// The reason codes, one per rule (two for the qualification rule). Stable: portals key on them.
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// The profile is not complete (manual §2: restricted until complete).
        case profileIncomplete = "profile_incomplete"
        /// The unit's type is not among the service's eligible types.
        case unitTypeNotEligible = "unit_type_not_eligible"
        /// The registered district is missing or not one of Beijing's 16 (``BeijingDistrict``).
        case districtUnknown = "district_unknown"
        /// The unit is on the credit restriction list (信用限制名单).
        case creditRestricted = "credit_restricted"
        /// A qualification the service requires is not in the profile.
        case qualificationMissing = "qualification_missing"
        /// A qualification the service requires is past its last valid day.
        case qualificationExpired = "qualification_expired"
        /// A change of the unit's registration was not filed (变更未备案) within the filing period.
        case changeNotFiled = "change_not_filed"
        /// The unit's type allows this many holders of the service and the unit has reached it.
        case holderLimitReached = "holder_limit_reached"
    }

    public var code: Code
    /// What the portal's pop-up shows, in Chinese.
    public var message: String
    /// The same in English.
    public var messageEnglish: String

    public init(code: Code, message: String, messageEnglish: String) {
        self.code = code
        self.message = message
        self.messageEnglish = messageEnglish
    }
}
