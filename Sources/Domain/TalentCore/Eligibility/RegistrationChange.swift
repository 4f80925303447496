/// A change of a unit's registration (变更登记) reported by the registration authority: until the
/// unit files it by submitting its profile on or after ``changedOn``, the change is unfiled (未备案).
public struct RegistrationChange: Sendable, Hashable, Codable {
    public var unitId: UnifiedSocialCreditCode
    /// The day the registration changed.
    public var changedOn: CalendarDate

    public init(unitId: UnifiedSocialCreditCode, changedOn: CalendarDate) {
        self.unitId = unitId
        self.changedOn = changedOn
    }
}
