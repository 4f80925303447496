/// The eligibility rules of the restricted services (manual §4; PRODUCT.md §3 §4): each a named
/// check of ``EligibilityFacts`` against the service's thresholds (``EligibilityRuleSet``) with its
/// own reason code. A unit is allowed only when no rule refuses it; a restricted decision lists every
/// refusing rule's reason, so the unit sees all it has to fix at once.
///
/// Pure: no I/O, no clock (`today` is given).
public enum EligibilityRules {
    /// One rule: its name (as `talentctl rules show` prints it) and its check.
    public struct Rule: Sendable {
        public var name: String
        /// The reason codes it gives.
        public var codes: [EligibilityReason.Code]
        /// What it checks, for operators.
        public var summary: String
        public var check:
            @Sendable (EligibilityFacts, EligibilityRuleSet.Thresholds, CalendarDate) -> [EligibilityReason]
    }

    /// Every rule, in the order reasons are listed.
    public static let all: [Rule] = [
        Rule(
            name: "profile_complete", codes: [.profileIncomplete],
            summary: "the unit's profile is complete (manual §2)", check: profileComplete),
        Rule(
            name: "unit_type_eligible", codes: [.unitTypeNotEligible],
            summary: "the unit's type is one of eligibleUnitTypes", check: unitTypeEligible),
        Rule(
            name: "registered_in_beijing", codes: [.districtUnknown],
            summary: "the registered district is one of Beijing's 16", check: registeredInBeijing),
        Rule(
            name: "not_credit_restricted", codes: [.creditRestricted],
            summary: "the unit is not on the credit restriction list", check: notCredit),
        Rule(
            name: "qualifications_valid", codes: [.qualificationMissing, .qualificationExpired],
            summary: "the registration certificate and requiredQualifications are present and not expired",
            check: qualificationsValid),
        Rule(
            name: "changes_filed", codes: [.changeNotFiled],
            summary: "no registration change unfiled for more than changeFilingDays days", check: changesFiled),
        Rule(
            name: "holder_limit", codes: [.holderLimitReached],
            summary: "fewer permit holders than the unit type's holderLimits entry", check: holderLimit),
    ]

    /// The decision of each restricted service for a unit.
    /// - Parameter today: today in Beijing (``CalendarDate/today(utcOffsetSeconds:now:)``).
    /// - Returns: one decision per ``RestrictedService``, in case order; a service the rule set has no
    ///   rules for is restricted as `unit_type_not_eligible`.
    public static func evaluate(_ facts: EligibilityFacts, ruleSet: EligibilityRuleSet, today: CalendarDate)
        -> [EligibilityDecision]
    {
        RestrictedService.allCases.map { service in
            guard let thresholds = ruleSet.thresholds(for: service, district: facts.district) else {
                return EligibilityDecision(
                    service: service,
                    reasons: [
                        EligibilityReason(
                            code: .unitTypeNotEligible, message: "\(service.label)业务暂未开放。",
                            messageEnglish: "The \(service.labelEnglish) is not open to any unit.")
                    ], ruleSetVersion: ruleSet.version)
            }
            // Without a complete profile nothing else is known reliably: that is the only reason.
            let reasons =
                facts.profileComplete
                ? all.flatMap { $0.check(facts, thresholds, today) }
                : profileComplete(facts, thresholds, today)
            return EligibilityDecision(service: service, reasons: reasons, ruleSetVersion: ruleSet.version)
        }
    }

    /// `profile_incomplete`: restricted until the profile is complete (PRODUCT.md §2).
    public static func profileComplete(
        _ facts: EligibilityFacts, _ thresholds: EligibilityRuleSet.Thresholds, _ today: CalendarDate
    ) -> [EligibilityReason] {
        facts.profileComplete
            ? []
            : [
                EligibilityReason(
                    code: .profileIncomplete, message: "单位信息尚未完善，请先完善单位信息。",
                    messageEnglish: "The unit's profile is incomplete: complete it first.")
            ]
    }

    /// `unit_type_not_eligible`: the unit's type is not in `eligibleUnitTypes` (absent: every type).
    public static func unitTypeEligible(
        _ facts: EligibilityFacts, _ thresholds: EligibilityRuleSet.Thresholds, _ today: CalendarDate
    ) -> [EligibilityReason] {
        guard let eligible = thresholds.eligibleUnitTypes else { return [] }
        guard let type = facts.unitType else {
            return [
                EligibilityReason(
                    code: .unitTypeNotEligible, message: "单位类型未知。", messageEnglish: "The unit's type is unknown.")
            ]
        }
        return eligible.contains(type)
            ? []
            : [
                EligibilityReason(
                    code: .unitTypeNotEligible, message: "单位类型“\(type.label)”不能办理此业务。",
                    messageEnglish: "Units of type \(type.rawValue) cannot use this service.")
            ]
    }

    /// `district_unknown`: the registered district is missing or not a Beijing district code.
    public static func registeredInBeijing(
        _ facts: EligibilityFacts, _ thresholds: EligibilityRuleSet.Thresholds, _ today: CalendarDate
    ) -> [EligibilityReason] {
        guard let district = facts.district, BeijingDistrict.districts[district] != nil else {
            return [
                EligibilityReason(
                    code: .districtUnknown, message: "单位注册地区不在北京市或未填写。",
                    messageEnglish: "The unit's registered district is missing or not in Beijing.")
            ]
        }
        return []
    }

    /// `credit_restricted`: the unit is on the credit restriction list.
    public static func notCredit(
        _ facts: EligibilityFacts, _ thresholds: EligibilityRuleSet.Thresholds, _ today: CalendarDate
    ) -> [EligibilityReason] {
        facts.creditRestricted
            ? [
                EligibilityReason(
                    code: .creditRestricted, message: "单位已被列入信用限制名单。",
                    messageEnglish: "The unit is on the credit restriction list.")
            ] : []
    }

    /// `qualification_missing` / `qualification_expired`, one reason per required kind: missing when
    /// the profile lists none of that kind, expired when every one listed is past its last valid day.
    public static func qualificationsValid(
        _ facts: EligibilityFacts, _ thresholds: EligibilityRuleSet.Thresholds, _ today: CalendarDate
    ) -> [EligibilityReason] {
        var required = thresholds.requiredQualifications ?? []
        if thresholds.requiresRegistrationCertificate == true, let type = facts.unitType {
            required.insert(type.registrationQualification, at: 0)
        }
        var seen: Set<QualificationKind> = []
        return required.filter { seen.insert($0).inserted }.compactMap { kind in
            let held = facts.qualifications.filter { $0.kind == kind }
            if held.isEmpty {
                return EligibilityReason(
                    code: .qualificationMissing, message: "缺少单位资质“\(kind.label)”。",
                    messageEnglish: "The qualification \(kind.rawValue) is missing.")
            }
            let valid = held.contains { qualification in
                guard let last = qualification.validUntil else { return true }
                return today.days(until: last) >= 0
            }
            return valid
                ? nil
                : EligibilityReason(
                    code: .qualificationExpired, message: "单位资质“\(kind.label)”已过期，请更新。",
                    messageEnglish: "The qualification \(kind.rawValue) has expired: update it.")
        }
    }

    /// `change_not_filed`: a registration change older than `changeFilingDays` days is still unfiled
    /// (the manual's 30 days for the work residence permit). Not applied when the period is unset or 0.
    public static func changesFiled(
        _ facts: EligibilityFacts, _ thresholds: EligibilityRuleSet.Thresholds, _ today: CalendarDate
    ) -> [EligibilityReason] {
        guard let days = thresholds.changeFilingDays, days > 0 else { return [] }
        guard let oldest = facts.unfiledChanges.filter({ $0.days(until: today) > days }).min() else { return [] }
        return [
            EligibilityReason(
                code: .changeNotFiled,
                message: "单位信息于 \(oldest) 变更，超过 \(days) 天未备案，暂停办理此业务；请修改单位信息完成备案。",
                messageEnglish:
                    "The unit's registration changed on \(oldest) and was not filed within \(days) days: update the profile to file it."
            )
        ]
    }

    /// `holder_limit_reached`: the unit's type has a holder limit and the unit's permit holders reach it.
    public static func holderLimit(
        _ facts: EligibilityFacts, _ thresholds: EligibilityRuleSet.Thresholds, _ today: CalendarDate
    ) -> [EligibilityReason] {
        guard let type = facts.unitType, let limit = thresholds.holderLimits?.first(where: { $0.unitType == type })
        else { return [] }
        guard facts.permitHolders >= limit.limit else { return [] }
        return [
            EligibilityReason(
                code: .holderLimitReached,
                message: "\(type.label)最多可有 \(limit.limit) 名持证人员，已达上限（\(facts.permitHolders) 名）。",
                messageEnglish:
                    "A unit of type \(type.rawValue) may have at most \(limit.limit) holders and has \(facts.permitHolders)."
            )
        ]
    }
}
