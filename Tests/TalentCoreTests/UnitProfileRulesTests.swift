import Foundation
import Testing

@testable import TalentCore

/// The profile-completion rules (manual §2) without I/O: every code, per unit type.
@Suite("Unit profile rules")
struct UnitProfileRulesTests {
    static let unit = UnifiedSocialCreditCode.make(organisationBody: "MA01PRFQ")!
    static let parent = UnifiedSocialCreditCode.make(organisationBody: "MA01PARQ")!
    static let today = CalendarDate(year: 2026, month: 12, day: 2)!
    static let day = CalendarDate(year: 2015, month: 6, day: 1)!

    static func general(_ type: UnitType) -> GeneralInformation {
        GeneralInformation(
            name: "北京示例单位", unitType: type, registeredDistrict: "110105", officeAddress: "北京市朝阳区建国路1号",
            postalCode: "100020", responsiblePerson: "李明", establishedOn: day,
            registeredCapital: type == .enterprise ? 500 : nil, parentUnitCode: type == .branch ? parent.rawValue : nil)
    }

    static let handler = BusinessHandler(
        name: "王芳", residentId: "11010519491231002X", mobile: "13800138000", email: "wang@example.cn",
        emergencyContactName: "张伟", emergencyContactMobile: "13900139000")

    static func codes(_ problems: [FieldProblem]) -> [String: String] {
        Dictionary(problems.map { ($0.field, $0.code) }, uniquingKeysWith: { first, _ in first })
    }

    /// A complete profile of `type` with accepted attachments of each kind it requires.
    static func complete(_ type: UnitType) -> (UnitProfile, UnitProfileRules) {
        var facts: [UUID: ProfileAttachmentFacts] = [:]
        var items: [ProfileAttachment] = []
        for kind in type.requiredAttachmentKinds {
            let id = UUID()
            facts[id] = ProfileAttachmentFacts(kind: kind, status: .accepted)
            items.append(ProfileAttachment(kind: kind, attachmentId: id))
        }
        let profile = UnitProfile(
            generalInformation: general(type),
            qualifications: QualificationsStep(items: [
                Qualification(kind: type.registrationQualification, number: "N-1", issuedBy: "登记机关", validFrom: day)
            ]),
            businessHandler: handler, attachments: AttachmentsStep(items: items))
        return (profile, UnitProfileRules(unitId: unit, today: today, attachments: facts))
    }

    @Test(arguments: UnitType.allCases)
    func aCompleteProfileOfEachTypeHasNoProblem(type: UnitType) {
        let (profile, rules) = Self.complete(type)
        #expect(rules.problems(of: profile).isEmpty, "\(rules.problems(of: profile))")
    }

    @Test func missingStepsAreNamed() {
        let rules = UnitProfileRules(unitId: Self.unit, today: Self.today)
        let problems = rules.problems(of: UnitProfile(generalInformation: Self.general(.enterprise)))
        #expect(problems.keys.sorted() == [.qualifications, .businessHandler, .attachments])
        let flat = UnitProfileRules.flattened(problems)
        #expect(flat.map(\.field) == ["qualifications", "business_handler", "attachments"])
        #expect(flat.allSatisfy { $0.code == "step_missing" })
    }

    @Test func generalInformationRules() {
        let rules = UnitProfileRules(unitId: Self.unit, today: Self.today)
        var bad = Self.general(.enterprise)
        bad.registeredDistrict = "310101"
        bad.establishedOn = CalendarDate(year: 2027, month: 1, day: 1)!
        bad.registeredCapital = nil
        bad.postalCode = "10002"
        bad.name = "   "
        bad.parentUnitCode = Self.parent.rawValue
        let codes = Self.codes(rules.problems(of: bad))
        #expect(codes["registeredDistrict"] == "unknown_district")
        #expect(codes["establishedOn"] == "in_future")
        #expect(codes["registeredCapital"] == "required")
        #expect(codes["postalCode"] == "invalid_value")
        #expect(codes["name"] == "empty")
        #expect(codes["parentUnitCode"] == "not_allowed")

        var branch = Self.general(.branch)
        branch.parentUnitCode = nil
        #expect(Self.codes(rules.problems(of: branch))["parentUnitCode"] == "required")
        branch.parentUnitCode = Self.unit.rawValue
        #expect(Self.codes(rules.problems(of: branch))["parentUnitCode"] == "same_as_unit")
        branch.parentUnitCode = "91110105MA01PARQ00"
        #expect(Self.codes(rules.problems(of: branch))["parentUnitCode"] != nil, "a parent code failing GB 32100")
        var capital = Self.general(.publicInstitution)
        capital.registeredCapital = -1
        #expect(Self.codes(rules.problems(of: capital))["registeredCapital"] == "invalid_value")
    }

    @Test func qualificationRules() {
        let rules = UnitProfileRules(unitId: Self.unit, today: Self.today)
        let step = QualificationsStep(items: [
            Qualification(kind: .businessLicence, number: "A", issuedBy: "机关", validFrom: Self.day),
            Qualification(
                kind: .humanResourcesServiceLicence, number: "B", issuedBy: "机关", validFrom: Self.day,
                validUntil: CalendarDate(year: 2020, month: 1, day: 1)),
            Qualification(
                kind: .highTechEnterprise, number: "C", issuedBy: "机关", validFrom: Self.day,
                validUntil: CalendarDate(year: 2014, month: 1, day: 1)),
            Qualification(kind: .publicInstitutionCertificate, number: "D", issuedBy: "机关", validFrom: Self.day),
            Qualification(
                kind: .businessLicence, number: "E", issuedBy: "",
                validFrom: CalendarDate(year: 2026, month: 12, day: 5)!),
        ])
        let codes = Self.codes(rules.problems(of: step, unitType: .enterprise))
        #expect(codes["items[1].validUntil"] == "expired")
        #expect(codes["items[2].validUntil"] == "ends_before_start")
        #expect(codes["items[3].kind"] == "not_for_unit_type")
        #expect(codes["items[4].kind"] == "duplicate")
        #expect(codes["items[4].issuedBy"] == "empty")
        #expect(codes["items[4].validFrom"] == "in_future")
        #expect(codes["items"] == nil, "the registration certificate is there")
        let none = rules.problems(of: QualificationsStep(items: []), unitType: .socialOrganisation)
        #expect(Self.codes(none)["items"] == "qualification_required")
        let tooMany = QualificationsStep(
            items: (0..<21).map { _ in Qualification(kind: .other, number: "X", issuedBy: "机关", validFrom: Self.day) })
        #expect(Self.codes(rules.problems(of: tooMany, unitType: nil))["items"] == "too_many")
    }

    @Test func handlerRules() {
        let rules = UnitProfileRules(unitId: Self.unit, today: Self.today)
        #expect(rules.problems(of: Self.handler).isEmpty)
        var bad = Self.handler
        bad.residentId = "110105194912310021"
        bad.mobile = "23800138000"
        bad.email = "not an address"
        bad.emergencyContactName = ""
        var codes = Self.codes(rules.problems(of: bad))
        #expect(codes["residentId"] == "check_character_mismatch")
        #expect(codes["mobile"] == "must_start_with_1")
        #expect(codes["email"] == "invalid_value")
        #expect(codes["emergencyContactName"] == "empty")
        var same = Self.handler
        same.emergencyContactMobile = same.mobile
        codes = Self.codes(rules.problems(of: same))
        #expect(codes["emergencyContactMobile"] == "same_as_handler")
    }

    /// Required kinds per type; each item one of the unit's, of its kind, accepted.
    @Test func attachmentRules() {
        #expect(
            UnitType.branch.requiredAttachmentKinds == [.businessLicence, .parentUnitLicence, .handlerAuthorisation])
        #expect(
            UnitType.enterprise.requiredAttachmentKinds == [
                .businessLicence, .legalRepresentativeIdentity, .handlerAuthorisation,
            ])
        let (pending, rejected, wrongKind, missing) = (UUID(), UUID(), UUID(), UUID())
        let rules = UnitProfileRules(
            unitId: Self.unit, today: Self.today,
            attachments: [
                pending: ProfileAttachmentFacts(kind: .businessLicence, status: .pending),
                rejected: ProfileAttachmentFacts(kind: .handlerAuthorisation, status: .rejected),
                wrongKind: ProfileAttachmentFacts(kind: .other, status: .accepted),
            ])
        let step = AttachmentsStep(items: [
            ProfileAttachment(kind: .businessLicence, attachmentId: pending),
            ProfileAttachment(kind: .handlerAuthorisation, attachmentId: rejected),
            ProfileAttachment(kind: .legalRepresentativeIdentity, attachmentId: wrongKind),
            ProfileAttachment(kind: .other, attachmentId: missing),
            ProfileAttachment(kind: .other, attachmentId: missing),
        ])
        let qualifications = QualificationsStep(items: [
            Qualification(kind: .highTechEnterprise, number: "C", issuedBy: "机关", validFrom: Self.day)
        ])
        let problems = rules.problems(of: step, unitType: .branch, qualifications: qualifications)
        let codes = Self.codes(problems)
        #expect(codes["items[0].attachmentId"] == "attachment_not_accepted")
        #expect(codes["items[1].attachmentId"] == "attachment_not_accepted")
        #expect(codes["items[2].attachmentId"] == "attachment_kind_mismatch")
        #expect(codes["items[3].attachmentId"] == "attachment_not_found")
        #expect(codes["items[4].attachmentId"] == "duplicate")
        let required = problems.filter { $0.code == "attachment_required" }.map(\.message)
        #expect(required.count == 2, "parent_unit_licence and qualification_certificate: \(required)")
        #expect(required.contains { $0.hasPrefix("parent_unit_licence") })
        #expect(required.contains { $0.hasPrefix("qualification_certificate") })
    }

    /// The history's diff: every changed top-level field of each step, before → after.
    @Test func changesNameEachFieldBeforeAndAfter() throws {
        let (profile, _) = Self.complete(.enterprise)
        let first = try profile.changes(from: nil)
        #expect(first.contains { $0.step == .generalInformation && $0.field == "name" && $0.before == nil })
        #expect(try profile.changes(from: profile).isEmpty)
        var moved = profile
        moved.generalInformation?.officeAddress = "北京市东城区1号"
        moved.generalInformation?.postalCode = nil
        let changes = try moved.changes(from: profile)
        #expect(changes.map(\.field) == ["officeAddress", "postalCode"])
        #expect(changes[0].before == .string("北京市朝阳区建国路1号"))
        #expect(changes[0].after == .string("北京市东城区1号"))
        #expect(changes[1].after == nil)
    }

    @Test func aDraftOverlaysOnlyItsSteps() {
        let (profile, _) = Self.complete(.enterprise)
        var general = Self.general(.enterprise)
        general.name = "新名称"
        let merged = profile.overlaid(by: UnitProfile(generalInformation: general))
        #expect(merged.generalInformation?.name == "新名称")
        #expect(merged.businessHandler == profile.businessHandler)
        #expect(merged.attachments == profile.attachments)
    }
}
