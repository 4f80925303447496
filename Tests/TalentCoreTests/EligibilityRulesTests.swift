import Foundation
import Testing

@testable import TalentCore

/// The eligibility rules (manual §4), each on its own and together, against a rule set built here and
/// against the one migration 0014 seeds.
struct EligibilityRulesTests {
    static let today = CalendarDate(year: 2026, month: 12, day: 3)!

    static let ruleSet = EligibilityRuleSet(
        version: 7,
        services: [
            .init(
                service: .workResidencePermit,
                thresholds: .init(
                    eligibleUnitTypes: [.enterprise, .publicInstitution, .branch],
                    requiresRegistrationCertificate: true,
                    requiredQualifications: [], changeFilingDays: 30,
                    holderLimits: [.init(unitType: .branch, limit: 5)]),
                districts: [
                    .init(district: "110115", thresholds: .init(holderLimits: [.init(unitType: .branch, limit: 10)]))
                ]
            ),
            .init(
                service: .talentIntroduction,
                thresholds: .init(
                    eligibleUnitTypes: [.enterprise, .publicInstitution], requiresRegistrationCertificate: true,
                    requiredQualifications: [.highTechEnterprise], changeFilingDays: 0)),
        ])

    /// A complete enterprise in Haidian holding a valid licence and high-tech certificate: allowed everywhere.
    static func facts(_ change: (inout EligibilityFacts) -> Void = { _ in }) -> EligibilityFacts {
        var facts = EligibilityFacts(
            profileComplete: true, unitType: .enterprise, district: "110108",
            qualifications: [
                Qualification(
                    kind: .businessLicence, number: "1", issuedBy: "局",
                    validFrom: CalendarDate(year: 2010, month: 1, day: 1)!),
                Qualification(
                    kind: .highTechEnterprise, number: "2", issuedBy: "局",
                    validFrom: CalendarDate(year: 2024, month: 1, day: 1)!,
                    validUntil: CalendarDate(year: 2027, month: 1, day: 1)!),
            ], creditRestricted: false, unfiledChanges: [], permitHolders: 0)
        change(&facts)
        return facts
    }

    static func codes(_ facts: EligibilityFacts, _ service: RestrictedService) -> [EligibilityReason.Code] {
        EligibilityRules.evaluate(facts, ruleSet: ruleSet, today: today).first { $0.service == service }!.reasons.map(
            \.code)
    }

    @Test func aUnitMeetingEveryRuleIsAllowedAndTheVersionIsRecorded() {
        let decisions = EligibilityRules.evaluate(Self.facts(), ruleSet: Self.ruleSet, today: Self.today)
        #expect(decisions.map(\.service) == RestrictedService.allCases)
        #expect(decisions.allSatisfy { $0.status == .allowed && $0.reasons.isEmpty && $0.ruleSetVersion == 7 })
    }

    @Test func anIncompleteProfileIsTheOnlyReason() {
        for facts in [
            EligibilityFacts.unknown,
            Self.facts {
                $0.profileComplete = false; $0.creditRestricted = true
            },
        ] {
            for service in RestrictedService.allCases {
                #expect(Self.codes(facts, service) == [.profileIncomplete])
            }
        }
    }

    @Test func unitTypeNotEligible() {
        #expect(
            Self.codes(Self.facts { $0.unitType = .individualBusiness }, .workResidencePermit) == [.unitTypeNotEligible]
        )
        let branch = Self.facts { $0.unitType = .branch }
        #expect(Self.codes(branch, .workResidencePermit) == [])
        #expect(Self.codes(branch, .talentIntroduction).contains(.unitTypeNotEligible))
    }

    @Test func districtMustBeABeijingDistrict() {
        for district in [nil, "310101", ""] as [String?] {
            #expect(Self.codes(Self.facts { $0.district = district }, .workResidencePermit) == [.districtUnknown])
        }
    }

    @Test func creditRestricted() {
        let listed = Self.facts { $0.creditRestricted = true }
        #expect(Self.codes(listed, .workResidencePermit) == [.creditRestricted])
        #expect(Self.codes(listed, .talentIntroduction) == [.creditRestricted])
    }

    @Test func requiredQualificationsPresentAndNotExpired() {
        let missing = Self.facts { $0.qualifications.removeAll { $0.kind == .highTechEnterprise } }
        #expect(Self.codes(missing, .talentIntroduction) == [.qualificationMissing])
        #expect(Self.codes(missing, .workResidencePermit) == [], "the permit does not require it")
        let noLicence = Self.facts { $0.qualifications.removeAll { $0.kind == .businessLicence } }
        #expect(Self.codes(noLicence, .workResidencePermit) == [.qualificationMissing])
        // The last valid day still counts; the day after, it has expired.
        let lastDay = Self.facts { $0.qualifications[1].validUntil = Self.today }
        #expect(Self.codes(lastDay, .talentIntroduction) == [])
        let expired = Self.facts { $0.qualifications[1].validUntil = CalendarDate(year: 2026, month: 12, day: 2)! }
        #expect(Self.codes(expired, .talentIntroduction) == [.qualificationExpired])
        // One valid certificate of the kind is enough.
        let renewed = Self.facts {
            $0.qualifications[1].validUntil = CalendarDate(year: 2026, month: 12, day: 2)!
            $0.qualifications.append(
                Qualification(
                    kind: .highTechEnterprise, number: "3", issuedBy: "局", validFrom: Self.today,
                    validUntil: CalendarDate(year: 2029, month: 12, day: 2)!))
        }
        #expect(Self.codes(renewed, .talentIntroduction) == [])
    }

    @Test func anUnfiledChangeSuspendsThePermitAfterThirtyDays() {
        let thirty = Self.facts { $0.unfiledChanges = [CalendarDate(year: 2026, month: 11, day: 3)!] }
        #expect(Self.codes(thirty, .workResidencePermit) == [], "30 days: still within the period")
        let thirtyOne = Self.facts { $0.unfiledChanges = [CalendarDate(year: 2026, month: 11, day: 2)!] }
        #expect(Self.codes(thirtyOne, .workResidencePermit) == [.changeNotFiled])
        #expect(Self.codes(thirtyOne, .talentIntroduction) == [], "the rule is not applied to talent introduction")
    }

    @Test func holderLimitPerUnitTypeWithADistrictOverride() {
        let four = Self.facts {
            $0.unitType = .branch; $0.permitHolders = 4
        }
        #expect(Self.codes(four, .workResidencePermit) == [])
        let five = Self.facts {
            $0.unitType = .branch; $0.permitHolders = 5
        }
        #expect(Self.codes(five, .workResidencePermit) == [.holderLimitReached])
        let daxing = Self.facts {
            $0.unitType = .branch; $0.permitHolders = 5; $0.district = "110115"
        }
        #expect(Self.codes(daxing, .workResidencePermit) == [])
        let enterprise = Self.facts { $0.permitHolders = 500 }
        #expect(Self.codes(enterprise, .workResidencePermit) == [], "enterprises have no limit")
    }

    @Test func everyReasonIsListedInRuleOrderWithBothMessages() {
        let facts = Self.facts {
            $0.unitType = .individualBusiness
            $0.creditRestricted = true
            $0.unfiledChanges = [CalendarDate(year: 2026, month: 1, day: 1)!]
            $0.qualifications = []
        }
        let decision = EligibilityRules.evaluate(facts, ruleSet: Self.ruleSet, today: Self.today)[0]
        #expect(decision.status == .restricted)
        #expect(
            decision.reasons.map(\.code) == [
                .unitTypeNotEligible, .creditRestricted, .qualificationMissing, .changeNotFiled,
            ])
        #expect(decision.reasons.allSatisfy { !$0.message.isEmpty && !$0.messageEnglish.isEmpty })
    }

    /// Each reason code is given by exactly one rule (what `talentctl rules show` lists per rule).
    @Test func everyCodeBelongsToOneRule() {
        let codes = EligibilityRules.all.flatMap(\.codes)
        #expect(codes.count == Set(codes).count)
        #expect(Set(codes) == Set(EligibilityReason.Code.allCases))
    }

    @Test func ruleSetProblems() {
        #expect(Self.ruleSet.problems().isEmpty)
        var broken = Self.ruleSet
        broken.services.removeLast()
        broken.services[0].districts = [.init(district: "999999", thresholds: .init(changeFilingDays: 400))]
        broken.services[0].thresholds.holderLimits = [.init(unitType: .branch, limit: -1)]
        let problems = broken.problems()
        #expect(problems.contains { $0.contains("talent_introduction appears 0 times") })
        #expect(problems.contains { $0.contains("999999 is not a Beijing district code") })
        #expect(problems.contains { $0.contains("changeFilingDays must be 0…365") })
        #expect(problems.contains { $0.contains("negative") })
    }

    /// The rule set migration 0014 seeds decodes, is publishable, and says what the manual says: a
    /// 30-day filing period for the permit, a branch's holder limit.
    @Test func theSeededRuleSet() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas/migrations/0014_eligibility.sql")
        let sql = try String(contentsOf: url, encoding: .utf8)
        let parts = sql.components(separatedBy: "$rules$")
        try #require(parts.count == 3)
        let rules = try JSONDecoder().decode(EligibilityRuleSet.self, from: Data(parts[1].utf8))
        #expect(rules.version == 1)
        #expect(rules.problems().isEmpty)
        let permit = try #require(rules.thresholds(for: .workResidencePermit, district: "110108"))
        #expect(permit.changeFilingDays == 30)
        #expect(permit.holderLimits?.first { $0.unitType == .branch }?.limit == 5)
        #expect(rules.thresholds(for: .workResidencePermit, district: "110115")?.holderLimits?.first?.limit == 10)
    }
}
