import Foundation
import TalentAPI
import TalentCore

/// Profile completion (单位信息完善, manual §2) driven through the gateway as the unit's portal would:
/// the attachments its type requires uploaded and validated, the four steps saved (each checked on
/// save), the preview, the submission, and the unit-profile job waited for.
public struct ProfileCompletion: Sendable {
    let unit: GatewayClient
    let output: @Sendable (String) -> Void

    public init(unit: GatewayClient, output: @escaping @Sendable (String) -> Void = { _ in }) {
        self.unit = unit
        self.output = output
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The forms of a valid profile for an invented unit (an enterprise in Haidian unless told): the
    /// general information, one qualification, the handler and emergency contact.
    public static func forms(
        name: String, unitType: UnitType = .enterprise, parentUnitCode: String? = nil,
        population: inout DemoPopulation
    ) -> (GeneralInformation, QualificationsStep, BusinessHandler) {
        let general = GeneralInformation(
            name: name, unitType: unitType, registeredDistrict: "110108", officeAddress: "北京市海淀区中关村大街27号",
            postalCode: "100080", responsiblePerson: population.person().name,
            establishedOn: CalendarDate(year: 2012, month: 5, day: 18)!,
            registeredCapital: unitType == .enterprise ? 1_000 : nil,
            parentUnitCode: unitType == .branch ? parentUnitCode : nil)
        let qualifications = QualificationsStep(items: [
            Qualification(
                kind: unitType.registrationQualification, number: "BJ" + String(name.unicodeScalars.count * 7919),
                issuedBy: "北京市海淀区市场监督管理局", validFrom: CalendarDate(year: 2012, month: 5, day: 18)!)
        ])
        let handler = population.person()
        let contact = population.person()
        let business = BusinessHandler(
            name: handler.name, residentId: handler.residentId, mobile: handler.mobile ?? "13800138000",
            email: nil, emergencyContactName: contact.name,
            emergencyContactMobile: contact.mobile == handler.mobile ? "13900139000" : (contact.mobile ?? "13900139000")
        )
        return (general, qualifications, business)
    }

    /// `GET /v1/unit`.
    public func home() async throws -> UnitHome {
        let reply = try await unit.send("GET", "/v1/unit")
        guard reply.status == 200 else { throw Failure(description: "GET /v1/unit answered \(reply.status)") }
        return try reply.decode(UnitHome.self)
    }

    /// Uploads one generated document per kind and waits until each is `accepted`.
    /// - Throws: ``Failure`` when an upload is refused or a verdict is not `accepted` within 60 s.
    public func attach(_ kinds: [AttachmentKind], seed: Int = 0) async throws -> AttachmentsStep {
        var items: [ProfileAttachment] = []
        for (index, kind) in kinds.enumerated() {
            let reply = try await unit.upload(
                DemoDocument.png(seed: seed &* 16 &+ index), fileName: "\(kind.rawValue).png", kind: kind)
            guard reply.status == 202 else {
                throw Failure(
                    description: "upload answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
            }
            let accepted = try reply.decode(UploadAccepted.self)
            guard let job = try await unit.finishedJob(accepted.job.id), job.status == .succeeded,
                let record = try await unit.attachment(accepted.attachment.id), record.status == .accepted
            else { throw Failure(description: "\(kind.rawValue) was not accepted in time") }
            output("  uploaded \(kind.rawValue) (\(kind.label)): accepted")
            items.append(ProfileAttachment(kind: kind, attachmentId: accepted.attachment.id))
        }
        return AttachmentsStep(items: items)
    }

    /// `PUT /v1/unit/profile/draft/<step>`; returns the reply (`200`, or the refusal).
    public func save(_ step: ProfileStep, _ body: some Encodable) async throws -> GatewayClient.Reply {
        let path = step.rawValue.replacingOccurrences(of: "_", with: "-")
        return try await unit.send("PUT", "/v1/unit/profile/draft/\(path)", json: body)
    }

    /// Saves a step that must be accepted.
    /// - Throws: ``Failure`` with the refusal.
    public func saveAccepted(_ step: ProfileStep, _ body: some Encodable) async throws {
        let reply = try await save(step, body)
        guard reply.status == 200 else {
            throw Failure(
                description:
                    "saving \(step.rawValue) answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        output("  saved \(step.rawValue) (\(step.label))")
    }

    /// `GET /v1/unit/profile/preview`.
    public func preview() async throws -> ProfilePreview {
        let reply = try await unit.send("GET", "/v1/unit/profile/preview")
        guard reply.status == 200 else { throw Failure(description: "preview answered \(reply.status)") }
        return try reply.decode(ProfilePreview.self)
    }

    /// `POST /v1/unit/profile/submission`, then waits for its job.
    /// - Returns: the finished job (`succeeded`, or `failed` with the worker's refusal).
    /// - Throws: ``Failure`` when the gateway refuses the submission.
    public func submit() async throws -> JobRecord {
        let reply = try await unit.send("POST", "/v1/unit/profile/submission", body: Data())
        guard reply.status == 202 else {
            throw Failure(
                description: "submission answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        let accepted = try reply.decode(UnitJobAccepted.self)
        guard let job = try await unit.finishedJob(accepted.job.id), job.status != .queued else {
            throw Failure(description: "the submission's job did not finish in time")
        }
        return job
    }

    /// Completes the profile when it is incomplete (nothing when complete); returns the home answer,
    /// with the usable association code.
    /// - Parameter showRefusal: first saves a handler step with a wrong identity number and the
    ///   handler's own number as the emergency contact's, prints the refusal's reasons, then the
    ///   fixed step (the demo).
    /// - Throws: ``Failure`` when a step, the submission or its job is refused.
    public func completeIfNeeded(
        name: String, unitType: UnitType = .enterprise, seed: UInt64 = 1, showRefusal: Bool = false
    ) async throws -> UnitHome {
        let start = try await home()
        guard start.profileStatus == .incomplete else {
            output("profile already complete; association code (关联代码): \(start.associationCode ?? "(none)")")
            return start
        }
        output(
            "first login: profile incomplete (complete it, or leave); steps saved so far: \(start.savedSteps.map(\.rawValue))"
        )
        var population = DemoPopulation(seed: seed)
        let (general, qualifications, handler) = Self.forms(name: name, unitType: unitType, population: &population)
        try await saveAccepted(.generalInformation, general)
        try await saveAccepted(.qualifications, qualifications)
        if showRefusal {
            var wrong = handler
            wrong.residentId = String(handler.residentId.dropLast()) + (handler.residentId.hasSuffix("1") ? "2" : "1")
            wrong.emergencyContactMobile = handler.mobile
            let refused = try await save(.businessHandler, wrong)
            output("  saving business_handler (业务经办人) refused: \(refused.status) \(refused.errorCode ?? "")")
            for problem in Self.problems(refused) {
                output("    \(problem.field): \(problem.code) — \(problem.message)")
            }
        }
        try await saveAccepted(.businessHandler, handler)
        let attachments = try await attach(unitType.requiredAttachmentKinds, seed: Int(seed % 1_000))
        try await saveAccepted(.attachments, attachments)
        let preview = try await preview()
        output("  preview: \(preview.ready ? "ready, no problem left" : "problems: \(preview.problems)")")
        let job = try await submit()
        guard job.status == .succeeded else {
            throw Failure(description: "the submission was refused: \(job.errorCode ?? "") \(job.errorDetail ?? "")")
        }
        let done = try await home()
        output("profile complete; association code (关联代码) usable: \(done.associationCode ?? "(none)")")
        return done
    }

    /// The `fields` of a refusal.
    public static func problems(_ reply: GatewayClient.Reply) -> [FieldProblem] {
        struct Body: Decodable {
            struct Error: Decodable { var fields: [FieldProblem]? }
            var error: Error
        }
        return (try? JSONDecoder().decode(Body.self, from: reply.body))?.error.fields ?? []
    }
}
