import Foundation

/// The rules of profile completion (manual §2; PRODUCT.md §3–§4): one set for the gateway (each step
/// checked when it is saved, the whole profile in the preview and at submission) and the worker
/// (again, under the unit's lock, before it marks the profile complete).
///
/// Fields are named relative to their step (`name`, `items[0].validUntil`); ``problems(of:)`` puts the
/// step in front (`qualifications.items[0].validUntil`). A step not given yet is one problem, field
/// = the step, code `step_missing`.
public struct UnitProfileRules: Sendable {
    /// The unit whose profile it is (a branch's parent must be another unit).
    public var unitId: UnifiedSocialCreditCode
    /// Today in Beijing: dates of establishment and validity are judged against it.
    public var today: CalendarDate
    /// The unit's attachments the profile refers to (missing ids: not the unit's, or deleted).
    public var attachments: [UUID: ProfileAttachmentFacts]

    public static let maxQualifications = 20
    public static let maxAttachments = 20

    public init(unitId: UnifiedSocialCreditCode, today: CalendarDate, attachments: [UUID: ProfileAttachmentFacts] = [:])
    {
        self.unitId = unitId
        self.today = today
        self.attachments = attachments
    }

    /// Every remaining problem of the whole profile, per step (steps without problems are absent).
    public func problems(of profile: UnitProfile) -> [ProfileStep: [FieldProblem]] {
        var result: [ProfileStep: [FieldProblem]] = [:]
        for step in ProfileStep.allCases {
            let found = problems(of: step, in: profile)
            if !found.isEmpty { result[step] = found }
        }
        return result
    }

    /// Every problem of `step` as part of `profile` (the unit type comes from its general information;
    /// the qualifications decide whether a qualification certificate must be attached).
    public func problems(of step: ProfileStep, in profile: UnitProfile) -> [FieldProblem] {
        let missing = [
            FieldProblem(
                field: step.rawValue, code: "step_missing", message: "\(step.rawValue) (\(step.label)) is not filled in"
            )
        ]
        let type = profile.generalInformation?.unitType
        switch step {
        case .generalInformation:
            return profile.generalInformation.map(problems(of:)) ?? missing
        case .qualifications:
            return profile.qualifications.map { problems(of: $0, unitType: type) } ?? missing
        case .businessHandler:
            return profile.businessHandler.map(problems(of:)) ?? missing
        case .attachments:
            return profile.attachments.map {
                problems(of: $0, unitType: type, qualifications: profile.qualifications)
            } ?? missing
        }
    }

    /// Every remaining problem, each field prefixed with its step, in step order.
    public static func flattened(_ problems: [ProfileStep: [FieldProblem]]) -> [FieldProblem] {
        ProfileStep.allCases.flatMap { step in
            (problems[step] ?? []).map { $0.field == step.rawValue ? $0 : $0.within(step.rawValue) }
        }
    }

    // MARK: Steps

    public func problems(of general: GeneralInformation) -> [FieldProblem] {
        var problems = FormText.problems(general.name, field: "name", maxLength: 100)
        if BeijingDistrict.districts[general.registeredDistrict] == nil {
            problems.append(
                FieldProblem(
                    field: "registeredDistrict", code: "unknown_district",
                    message: "not a Beijing district code (GB/T 2260 1101xx)"))
        }
        problems += FormText.problems(general.officeAddress, field: "officeAddress", maxLength: 200)
        if let postalCode = general.postalCode,
            postalCode.utf8.count != 6 || !postalCode.utf8.allSatisfy({ (0x30...0x39).contains($0) })
        {
            problems.append(
                FieldProblem(field: "postalCode", code: "invalid_value", message: "must be six ASCII digits"))
        }
        problems += FormText.problems(general.responsiblePerson, field: "responsiblePerson", maxLength: 50)
        if general.establishedOn > today {
            problems.append(
                FieldProblem(
                    field: "establishedOn", code: "in_future",
                    message: "the unit cannot be established later than today"))
        }
        if let capital = general.registeredCapital, !capital.isFinite || capital <= 0 || capital > 1e10 {
            problems.append(
                FieldProblem(
                    field: "registeredCapital", code: "invalid_value", message: "must be more than 0 (10,000 yuan)"))
        } else if general.registeredCapital == nil, general.unitType.requiresRegisteredCapital {
            problems.append(
                FieldProblem(
                    field: "registeredCapital", code: "required",
                    message: "an enterprise gives its registered capital"))
        }
        switch (general.parentUnitCode, general.unitType.requiresParentUnit) {
        case (nil, true):
            problems.append(
                FieldProblem(
                    field: "parentUnitCode", code: "required", message: "a branch gives its parent unit's code"))
        case (let code?, true):
            do {
                let parent = try UnifiedSocialCreditCode(validating: code)
                if parent == unitId {
                    problems.append(
                        FieldProblem(
                            field: "parentUnitCode", code: "same_as_unit", message: "a branch is not its own parent"))
                }
            } catch {
                problems.append(
                    FieldProblem(
                        field: "parentUnitCode", code: error.reason.rawValue,
                        message: "not a valid unified social credit code (GB 32100-2015): \(error.reason.rawValue)"))
            }
        case (_?, false):
            problems.append(
                FieldProblem(
                    field: "parentUnitCode", code: "not_allowed",
                    message: "only a branch gives a parent unit (unit type \(general.unitType.rawValue))"))
        case (nil, false): break
        }
        return problems
    }

    /// - Parameter unitType: from the general information; `nil` (not given yet) skips the checks
    ///   that depend on it.
    public func problems(of step: QualificationsStep, unitType: UnitType?) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if step.items.count > Self.maxQualifications {
            problems.append(
                FieldProblem(
                    field: "items", code: "too_many", message: "at most \(Self.maxQualifications) qualifications"))
        }
        for (index, item) in step.items.prefix(Self.maxQualifications).enumerated() {
            var found = FormText.problems(item.number, field: "number", maxLength: 64)
            found += FormText.problems(item.issuedBy, field: "issuedBy", maxLength: 100)
            if item.validFrom > today {
                found.append(
                    FieldProblem(field: "validFrom", code: "in_future", message: "the qualification is not valid yet"))
            }
            if let until = item.validUntil {
                if until < item.validFrom {
                    found.append(
                        FieldProblem(
                            field: "validUntil", code: "ends_before_start", message: "it ends before it starts"))
                } else if until < today {
                    found.append(
                        FieldProblem(
                            field: "validUntil", code: "expired", message: "the qualification expired on \(until)"))
                }
            }
            if item.kind.isRegistration, let unitType, item.kind != unitType.registrationQualification {
                found.append(
                    FieldProblem(
                        field: "kind", code: "not_for_unit_type",
                        message:
                            "a \(unitType.rawValue) registers with \(unitType.registrationQualification.rawValue), not \(item.kind.rawValue)"
                    ))
            }
            if item.kind != .other, step.items[..<index].contains(where: { $0.kind == item.kind }) {
                found.append(
                    FieldProblem(field: "kind", code: "duplicate", message: "\(item.kind.rawValue) is listed twice"))
            }
            problems += found.map { $0.within("items[\(index)]") }
        }
        if let unitType, !step.items.contains(where: { $0.kind == unitType.registrationQualification }) {
            let kind = unitType.registrationQualification
            problems.append(
                FieldProblem(
                    field: "items", code: "qualification_required",
                    message: "a \(unitType.rawValue) (\(unitType.label)) lists its \(kind.rawValue) (\(kind.label))"))
        }
        return problems
    }

    public func problems(of handler: BusinessHandler) -> [FieldProblem] {
        var problems = FormText.problems(handler.name, field: "name", maxLength: 50)
        do {
            _ = try ResidentIdentityNumber(validating: handler.residentId, today: today)
        } catch {
            problems.append(
                FieldProblem(
                    field: "residentId", code: error.reason.rawValue,
                    message: "not a valid resident identity number (GB 11643-1999): \(error.reason.rawValue)"))
        }
        let mobile = Self.mobile(handler.mobile, field: "mobile", into: &problems)
        if let email = handler.email {
            let text = FormText.problems(email, field: "email", maxLength: 254)
            if !text.isEmpty {
                problems += text
            } else if email.split(separator: "@", omittingEmptySubsequences: false).count != 2
                || email.hasPrefix("@") || email.hasSuffix("@") || email.contains(where: \.isWhitespace)
            {
                problems.append(FieldProblem(field: "email", code: "invalid_value", message: "not an e-mail address"))
            }
        }
        problems += FormText.problems(handler.emergencyContactName, field: "emergencyContactName", maxLength: 50)
        let emergency = Self.mobile(handler.emergencyContactMobile, field: "emergencyContactMobile", into: &problems)
        if let mobile, mobile == emergency {
            problems.append(
                FieldProblem(
                    field: "emergencyContactMobile", code: "same_as_handler",
                    message: "the emergency contact needs another number than the handler's"))
        }
        return problems
    }

    /// - Parameter unitType: from the general information; `nil` skips the required kinds.
    /// - Parameter qualifications: a qualification beyond the registration certificate requires a
    ///   qualification certificate.
    public func problems(of step: AttachmentsStep, unitType: UnitType?, qualifications: QualificationsStep?)
        -> [FieldProblem]
    {
        var problems: [FieldProblem] = []
        if step.items.count > Self.maxAttachments {
            problems.append(
                FieldProblem(field: "items", code: "too_many", message: "at most \(Self.maxAttachments) attachments"))
        }
        for (index, item) in step.items.prefix(Self.maxAttachments).enumerated() {
            let field = "items[\(index)].attachmentId"
            if step.items[..<index].contains(where: { $0.attachmentId == item.attachmentId }) {
                problems.append(
                    FieldProblem(field: field, code: "duplicate", message: "the attachment is listed twice"))
                continue
            }
            guard let facts = attachments[item.attachmentId] else {
                problems.append(
                    FieldProblem(field: field, code: "attachment_not_found", message: "no such attachment of this unit")
                )
                continue
            }
            if facts.kind != item.kind {
                problems.append(
                    FieldProblem(
                        field: field, code: "attachment_kind_mismatch",
                        message: "the attachment was uploaded as \(facts.kind.rawValue), not \(item.kind.rawValue)"))
            } else if facts.status != .accepted {
                problems.append(
                    FieldProblem(
                        field: field, code: "attachment_not_accepted",
                        message: "the attachment's verdict is \(facts.status.rawValue), not accepted"))
            }
        }
        var required = unitType?.requiredAttachmentKinds ?? []
        if qualifications?.items.contains(where: { !$0.kind.isRegistration }) == true {
            required.append(.qualificationCertificate)
        }
        let given = Set(step.items.map(\.kind))
        for kind in required where !given.contains(kind) {
            problems.append(
                FieldProblem(
                    field: "items", code: "attachment_required",
                    message: "\(kind.rawValue) (\(kind.label)) must be attached"))
        }
        return problems
    }

    static func mobile(_ value: String, field: String, into problems: inout [FieldProblem]) -> MobileNumber? {
        do {
            return try MobileNumber(validating: value)
        } catch {
            problems.append(
                FieldProblem(
                    field: field, code: error.reason.rawValue,
                    message: "not a mainland mobile number: \(error.reason.rawValue)"))
            return nil
        }
    }
}
