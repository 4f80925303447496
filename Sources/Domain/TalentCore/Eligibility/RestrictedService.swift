/// A restricted service (受限业务, manual §4; PRODUCT.md §3 §4): a unit may enter it only while every
/// eligibility rule of the current rule set allows it (``EligibilityRules``).
public enum RestrictedService: String, Codable, Sendable, CaseIterable, Hashable {
    /// 工作居住证: the Beijing work residence permit, applied for by a unit for its employees.
    case workResidencePermit = "work_residence_permit"
    /// 引进人才: talent introduction (hukou transfer of an employee into Beijing).
    case talentIntroduction = "talent_introduction"

    /// Chinese label shown by portals.
    public var label: String {
        switch self {
        case .workResidencePermit: "工作居住证"
        case .talentIntroduction: "引进人才"
        }
    }

    /// English label.
    public var labelEnglish: String {
        switch self {
        case .workResidencePermit: "work residence permit"
        case .talentIntroduction: "talent introduction"
        }
    }
}
