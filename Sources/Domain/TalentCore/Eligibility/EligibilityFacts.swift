/// What the eligibility rules of one unit look at, read in one snapshot (the transaction that
/// recomputes its decisions).
public struct EligibilityFacts: Sendable, Hashable {
    /// Whether the last accepted profile submission completed the profile.
    public var profileComplete: Bool
    /// The profile's unit type (`nil` while there is no profile).
    public var unitType: UnitType?
    /// The profile's registered district code (GB/T 2260), `nil` while there is none.
    public var district: String?
    /// The current profile's qualifications.
    public var qualifications: [Qualification]
    /// Whether the unit is on the credit restriction list.
    public var creditRestricted: Bool
    /// The days the unit's registration changed on (变更日期) that its profile has not caught up with
    /// (not filed, 未备案): a profile submission accepted on or after the change files it.
    public var unfiledChanges: [CalendarDate]
    /// Current employees holding an approved work residence permit obtained through this unit.
    public var permitHolders: Int

    public init(
        profileComplete: Bool, unitType: UnitType?, district: String?, qualifications: [Qualification],
        creditRestricted: Bool, unfiledChanges: [CalendarDate], permitHolders: Int
    ) {
        self.profileComplete = profileComplete
        self.unitType = unitType
        self.district = district
        self.qualifications = qualifications
        self.creditRestricted = creditRestricted
        self.unfiledChanges = unfiledChanges
        self.permitHolders = permitHolders
    }

    /// A unit never seen complete: no profile, nothing else known.
    public static let unknown = EligibilityFacts(
        profileComplete: false, unitType: nil, district: nil, qualifications: [], creditRestricted: false,
        unfiledChanges: [], permitHolders: 0)
}
