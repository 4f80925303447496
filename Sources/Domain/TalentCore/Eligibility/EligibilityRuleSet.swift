import Foundation

/// The thresholds of the eligibility rules (``EligibilityRules``) as data: per restricted service,
/// with overrides per district where they differ. Versioned: each published set gets the next
/// ``version``, and every decision records the version that made it.
///
/// JSON, camelCase keys (table `eligibility_rule_sets`, column `rules`; version 1 is seeded by
/// migration `0014_eligibility.sql`; `talentctl rules show` prints the current one).
public struct EligibilityRuleSet: Sendable, Hashable, Codable {
    /// The most holders a unit of one type may have (for example a branch's work residence permits).
    public struct HolderLimit: Sendable, Hashable, Codable {
        public var unitType: UnitType
        public var limit: Int

        public init(unitType: UnitType, limit: Int) {
            self.unitType = unitType
            self.limit = limit
        }
    }

    /// The thresholds of one service, or the part of them one district overrides (`nil`: as the
    /// service's).
    public struct Thresholds: Sendable, Hashable, Codable {
        /// Unit types that may use the service.
        public var eligibleUnitTypes: [UnitType]?
        /// Whether the unit type's registration certificate (``UnitType/registrationQualification``)
        /// must be present and valid.
        public var requiresRegistrationCertificate: Bool?
        /// Further qualifications that must be present and valid.
        public var requiredQualifications: [QualificationKind]?
        /// Days a registration change may stay unfiled before the service is suspended; `nil` or 0:
        /// the rule does not apply to this service.
        public var changeFilingDays: Int?
        /// Holder limits per unit type; types not listed have none.
        public var holderLimits: [HolderLimit]?

        public init(
            eligibleUnitTypes: [UnitType]? = nil, requiresRegistrationCertificate: Bool? = nil,
            requiredQualifications: [QualificationKind]? = nil, changeFilingDays: Int? = nil,
            holderLimits: [HolderLimit]? = nil
        ) {
            self.eligibleUnitTypes = eligibleUnitTypes
            self.requiresRegistrationCertificate = requiresRegistrationCertificate
            self.requiredQualifications = requiredQualifications
            self.changeFilingDays = changeFilingDays
            self.holderLimits = holderLimits
        }

        /// These thresholds with every field `other` sets taken from it.
        public func overridden(by other: Thresholds) -> Thresholds {
            Thresholds(
                eligibleUnitTypes: other.eligibleUnitTypes ?? eligibleUnitTypes,
                requiresRegistrationCertificate: other.requiresRegistrationCertificate
                    ?? requiresRegistrationCertificate,
                requiredQualifications: other.requiredQualifications ?? requiredQualifications,
                changeFilingDays: other.changeFilingDays ?? changeFilingDays,
                holderLimits: other.holderLimits ?? holderLimits)
        }
    }

    /// A district whose thresholds differ from the service's.
    public struct DistrictOverride: Sendable, Hashable, Codable {
        /// GB/T 2260 district code (``BeijingDistrict/districts``).
        public var district: String
        public var thresholds: Thresholds

        public init(district: String, thresholds: Thresholds) {
            self.district = district
            self.thresholds = thresholds
        }
    }

    /// The rules of one restricted service.
    public struct ServiceRules: Sendable, Hashable, Codable {
        public var service: RestrictedService
        public var thresholds: Thresholds
        public var districts: [DistrictOverride]?

        public init(service: RestrictedService, thresholds: Thresholds, districts: [DistrictOverride]? = nil) {
            self.service = service
            self.thresholds = thresholds
            self.districts = districts
        }
    }

    /// 1, 2, …: assigned when the set is published.
    public var version: Int
    /// What this version changed, for operators.
    public var note: String?
    /// One entry per ``RestrictedService``.
    public var services: [ServiceRules]

    public init(version: Int, note: String? = nil, services: [ServiceRules]) {
        self.version = version
        self.note = note
        self.services = services
    }

    /// The thresholds that apply to `service` for a unit registered in `district`: the service's,
    /// with the district's override applied; `nil` when the set has no rules for the service.
    public func thresholds(for service: RestrictedService, district: String?) -> Thresholds? {
        guard let rules = services.first(where: { $0.service == service }) else { return nil }
        guard let district, let override = rules.districts?.first(where: { $0.district == district }) else {
            return rules.thresholds
        }
        return rules.thresholds.overridden(by: override.thresholds)
    }

    /// What makes this set unusable: a service missing or given twice, an unknown district, a
    /// negative limit, a filing period outside 0…365 days. Empty when it may be published.
    public func problems() -> [String] {
        var problems: [String] = []
        if version < 1 { problems.append("version: must be 1 or more") }
        for service in RestrictedService.allCases {
            let count = services.filter { $0.service == service }.count
            if count != 1 { problems.append("services: \(service.rawValue) appears \(count) times, expected once") }
        }
        for rules in services {
            var all = [("\(rules.service.rawValue)", rules.thresholds)]
            for override in rules.districts ?? [] {
                if BeijingDistrict.districts[override.district] == nil {
                    problems.append("\(rules.service.rawValue): \(override.district) is not a Beijing district code")
                }
                all.append(("\(rules.service.rawValue) \(override.district)", override.thresholds))
            }
            for (name, thresholds) in all {
                if let days = thresholds.changeFilingDays, !(0...365).contains(days) {
                    problems.append("\(name): changeFilingDays must be 0…365")
                }
                for limit in thresholds.holderLimits ?? [] where limit.limit < 0 {
                    problems.append("\(name): the holder limit of \(limit.unitType.rawValue) is negative")
                }
            }
        }
        return problems
    }
}
