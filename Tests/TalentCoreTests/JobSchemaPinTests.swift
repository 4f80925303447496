import Foundation
import Testing

@testable import TalentCore

/// Pins every job message version to its JSON Schema in `schemas/jobs/`: each key a fully populated
/// message encodes must be declared there, and each declared property must be encoded by one of the
/// examples. A field added to a form the portals send (the forms travel inside job messages) fails
/// here until the schema — and with it the schema version — is changed on purpose.
@Suite("Job schema pins")
struct JobSchemaPinTests {
    static let unit = UnifiedSocialCreditCode.make(organisationBody: "MA01DEMQ")!
    static let day = CalendarDate(year: 2025, month: 3, day: 1)!
    static let contract = LabourContract(
        kind: .fixedTerm, startDate: day, endDate: CalendarDate(year: 2028, month: 2, day: 29))

    static func decision(_ decision: AssociationDecision) -> AssociationDecisionJob {
        AssociationDecisionJob(
            jobId: UUID(), unitId: unit, associationId: UUID(), actor: "operator", requestedAt: Date(),
            decision: decision)
    }

    /// Every variant with every optional field set.
    static let associationExamples: [AssociationDecisionJob] = [
        decision(
            .request(
                PersonProfile(
                    name: "李明", residentId: "11010519491231002X", mobile: "13800138000",
                    education: [
                        EducationRecord(school: "北京大学", major: "法学", degree: "学士", startDate: day, endDate: day)
                    ],
                    workHistory: [WorkRecord(employer: "某公司", position: "工程师", startDate: day, endDate: day)]))),
        decision(.approve(ApprovalForm(entryDate: day, position: "工程师", department: "研发部", contract: contract))),
        decision(.reject(RejectionForm(reason: "信息不符"))),
        decision(.unlink(UnlinkForm(leaveDate: day, reason: "离职"))),
        decision(.updatePosition(PositionUpdateForm(position: "主管", department: "研发部", contract: contract))),
    ]

    static let attachmentExamples = [
        AttachmentValidationJob(jobId: UUID(), unitId: unit, attachmentId: UUID(), requestedAt: Date())
    ]

    static let handler = BusinessHandler(
        name: "王芳", residentId: "11010519491231002X", mobile: "13800138000", email: "wang@example.cn",
        emergencyContactName: "张伟", emergencyContactMobile: "13900139000")

    static let profileExamples = [
        UnitProfileJob(
            jobId: UUID(), unitId: unit, actor: "operator", requestedAt: Date(),
            profile: UnitProfile(
                generalInformation: GeneralInformation(
                    name: "北京示例科技有限公司", unitType: .branch, registeredDistrict: "110108", officeAddress: "海淀区中关村大街1号",
                    postalCode: "100080", responsiblePerson: "李明", establishedOn: day, registeredCapital: 500,
                    parentUnitCode: "91110108MA01DEMQ0X"),
                qualifications: QualificationsStep(items: [
                    Qualification(
                        kind: .highTechEnterprise, number: "GR202511000001", issuedBy: "北京市科学技术委员会", validFrom: day,
                        validUntil: CalendarDate(year: 2028, month: 2, day: 29))
                ]),
                businessHandler: handler,
                attachments: AttachmentsStep(items: [ProfileAttachment(kind: .businessLicence, attachmentId: UUID())])),
            draftRevisions: [.generalInformation: 3]),
        UnitProfileJob(jobId: UUID(), unitId: unit, actor: "operator", requestedAt: Date(), handler: handler),
    ]

    static func schema(_ name: String) throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas/jobs/\(name)")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// Walks `value` against `schema`; collects encoded paths the schema does not declare, and the
    /// declared paths seen.
    static func walk(
        _ value: Any, _ schema: [String: Any], root: [String: Any], path: String,
        undeclared: inout [String], seen: inout Set<String>
    ) {
        var schema = schema
        if let reference = schema["$ref"] as? String, reference.hasPrefix("#/$defs/"),
            let definitions = root["$defs"] as? [String: Any],
            let target = definitions[String(reference.dropFirst("#/$defs/".count))] as? [String: Any]
        {
            schema = target
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, member) in object {
                let memberPath = path + "." + key
                if properties[key] == nil, schema["additionalProperties"] is [String: Any] {
                    continue  // a map (e.g. step → revision): its keys are data, not fields
                }
                guard let memberSchema = properties[key] as? [String: Any] else {
                    undeclared.append(memberPath)
                    continue
                }
                seen.insert(memberPath)
                walk(member, memberSchema, root: root, path: memberPath, undeclared: &undeclared, seen: &seen)
            }
        } else if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for element in array {
                walk(element, items, root: root, path: path + "[]", undeclared: &undeclared, seen: &seen)
            }
        }
    }

    /// Every property path the schema declares (through `$ref` and `items`).
    static func declared(_ schema: [String: Any], root: [String: Any], path: String) -> Set<String> {
        var schema = schema
        if let reference = schema["$ref"] as? String, let definitions = root["$defs"] as? [String: Any],
            let target = definitions[String(reference.dropFirst("#/$defs/".count))] as? [String: Any]
        {
            schema = target
        }
        var paths: Set<String> = []
        for (key, member) in schema["properties"] as? [String: Any] ?? [:] {
            let memberPath = path + "." + key
            paths.insert(memberPath)
            if let member = member as? [String: Any] {
                paths.formUnion(declared(member, root: root, path: memberPath))
            }
        }
        if let items = schema["items"] as? [String: Any] {
            paths.formUnion(declared(items, root: root, path: path + "[]"))
        }
        return paths
    }

    static func check<Message: VersionedJobMessage>(_ examples: [Message], schemaFile: String) throws {
        let schema = try Self.schema(schemaFile)
        let properties = try #require(schema["properties"] as? [String: Any])
        let version = try #require(properties["schemaVersion"] as? [String: Any])
        #expect(version["const"] as? Int == Message.currentSchemaVersion, "\(schemaFile) pins another version")
        var undeclared: [String] = []
        var seen: Set<String> = []
        for example in examples {
            let encoded = try JSONSerialization.jsonObject(with: Data(try JobMessageCodec.encode(example)))
            walk(encoded, schema, root: schema, path: "", undeclared: &undeclared, seen: &seen)
        }
        #expect(undeclared.isEmpty, "encoded but not in \(schemaFile): \(undeclared.sorted())")
        let unseen = declared(schema, root: schema, path: "").subtracting(seen)
        #expect(unseen.isEmpty, "in \(schemaFile) but never encoded: \(unseen.sorted())")
    }

    @Test func associationDecisionV1() throws {
        try Self.check(Self.associationExamples, schemaFile: "association.decision.v1.schema.json")
    }

    @Test func attachmentValidationV1() throws {
        try Self.check(Self.attachmentExamples, schemaFile: "attachment.validation.v1.schema.json")
    }

    static let noticeExamples = [
        NoticeJob(
            jobId: UUID(), action: .publish, noticeId: UUID(), actor: "service:policy-portal", requestedAt: Date()),
        NoticeJob(
            jobId: UUID(), unitId: unit, actor: "operator", requestedAt: Date(), noticeIds: [UUID()], readAllUpTo: 42,
            promptIds: ["profile_incomplete"]),
    ]

    @Test func noticeFanoutV1() throws {
        try Self.check(Self.noticeExamples, schemaFile: "notice.fanout.v1.schema.json")
    }

    static let eligibilityExamples = [
        EligibilityJob(
            jobId: UUID(), action: .creditList, actor: "service:credit-system", requestedAt: Date(), added: [unit],
            removed: [unit], reason: "严重失信"),
        EligibilityJob(
            jobId: UUID(), action: .registrationChanges, actor: "service:registry", requestedAt: Date(),
            changes: [RegistrationChange(unitId: unit, changedOn: CalendarDate(year: 2026, month: 11, day: 2)!)]),
        EligibilityJob(
            jobId: UUID(), action: .businessItems, actor: "service:permit-system", requestedAt: Date(),
            items: [
                BusinessItem(
                    reference: "WRP-2026-0001", unitId: unit, service: .workResidencePermit, status: .inProgress,
                    residentId: "11010519491231002X", title: "工作居住证新办", updatedAt: Date())
            ]),
        EligibilityJob(
            jobId: UUID(), action: .recompute, actor: "service:operator", requestedAt: Date(), unitIds: [unit]),
    ]

    @Test func eligibilityCheckV1() throws {
        try Self.check(Self.eligibilityExamples, schemaFile: "eligibility.check.v1.schema.json")
    }

    @Test func unitProfileV1() throws {
        try Self.check(Self.profileExamples, schemaFile: "unit.profile.v1.schema.json")
    }

    /// The file names follow `<kind>.v<version>.schema.json`, one per kind at its current version.
    @Test func everyKindHasItsSchema() throws {
        for kind in JobKind.allCases {
            let version =
                switch kind {
                case .attachmentValidation: AttachmentValidationJob.currentSchemaVersion
                case .associationDecision: AssociationDecisionJob.currentSchemaVersion
                case .unitProfile: UnitProfileJob.currentSchemaVersion
                case .noticeFanout: NoticeJob.currentSchemaVersion
                case .eligibilityCheck: EligibilityJob.currentSchemaVersion
                }
            _ = try Self.schema("\(kind.rawValue).v\(version).schema.json")
        }
    }
}
