import Foundation
import JobQueue
import JobWorker
import TalentAPI
import TalentClient
import TalentCore
import TalentJobs
import TalentStore
import TalentTestSupport
import Testing

/// Unit identity, profile completion and unit information (manual §1, §2, §6) through the real
/// gateway, broker and unit-profile worker.
@Suite("Unit profile")
struct UnitProfileAPITests {
    static func fields(_ reply: GatewayClient.Reply) -> [String: String] {
        struct Body: Decodable {
            struct Error: Decodable { var fields: [FieldProblem]? }
            var error: Error
        }
        let problems = (try? JSONDecoder().decode(Body.self, from: reply.body))?.error.fields ?? []
        return Dictionary(problems.map { ($0.field, $0.code) }, uniquingKeysWith: { first, _ in first })
    }

    static func text(_ reply: GatewayClient.Reply) -> String { String(decoding: reply.body, as: UTF8.self) }

    /// The `n`-th test unit with its profile completed: its client, the flow and the current profile.
    static func completedUnit(_ n: Int) async throws -> (GatewayClient, ProfileCompletion, UnitProfile) {
        let system = try await SharedSystem.instance.get()
        let unitId = Fixtures.unit(n, salt: "P")
        _ = try await system.completeProfile(unit: unitId)
        let client = try await system.client(unit: unitId)
        let view = try await client.send("GET", "/v1/unit/profile").decode(UnitProfileView.self)
        return (client, ProfileCompletion(unit: client), try #require(view.profile))
    }

    /// First login → incomplete; steps refused with their reasons (nothing saved), then saved; the
    /// association code refused while incomplete and usable once the submission is applied.
    @Test func firstLoginToAUsableAssociationCode() async throws {
        let system = try await SharedSystem.instance.get()
        let unitId = Fixtures.unit(1, salt: "P")
        let client = try await system.client(unit: unitId)
        let flow = ProfileCompletion(unit: client)

        let first = try await flow.home()
        #expect(first.profileStatus == .incomplete)
        #expect(first.profileCompletionRequired)
        #expect(first.associationCode == nil, "the code is not shown before it is usable")
        #expect(first.savedSteps.isEmpty)

        // The code exists (employee summary) but a request against it is refused while incomplete.
        let summary = try await client.send("GET", "/v1/employee-summary")
        let code = try #require(
            (try JSONSerialization.jsonObject(with: summary.body) as? [String: Any])?["associationCode"] as? String)
        var population = DemoPopulation(seed: 12)
        let service = try await system.serviceClient()
        let early = try await service.send(
            "POST", "/v1/service/association-requests",
            json: AssociationRequestSubmission(associationCode: code, person: population.person()))
        #expect(early.status == 409, "\(Self.text(early))")
        #expect(early.errorCode == "unit_profile_incomplete")

        // Order: the unit type decides what the qualifications and attachments need.
        let (general, qualifications, handler) = ProfileCompletion.forms(name: "北京测试科技有限公司", population: &population)
        let early2 = try await flow.save(.qualifications, qualifications)
        #expect(early2.status == 409)
        #expect(early2.errorCode == "profile_step_order")

        // A general information step with three problems: each named, nothing saved.
        var badGeneral = general
        badGeneral.registeredDistrict = "310101"
        badGeneral.establishedOn = CalendarDate(year: 2999, month: 1, day: 1)!
        badGeneral.registeredCapital = nil
        let refused = try await flow.save(.generalInformation, badGeneral)
        #expect(refused.status == 400, "\(Self.text(refused))")
        #expect(refused.errorCode == "invalid_request")
        let problems = Self.fields(refused)
        #expect(problems["registeredDistrict"] == "unknown_district", "\(problems)")
        #expect(problems["establishedOn"] == "in_future", "\(problems)")
        #expect(problems["registeredCapital"] == "required", "\(problems)")
        #expect(try await flow.home().savedSteps.isEmpty)
        try await flow.saveAccepted(.generalInformation, general)
        try await flow.saveAccepted(.qualifications, qualifications)

        // The handler: a wrong check character, the handler's own number as the emergency contact's.
        var badHandler = handler
        badHandler.residentId = String(handler.residentId.dropLast()) + (handler.residentId.hasSuffix("1") ? "2" : "1")
        badHandler.emergencyContactMobile = handler.mobile
        let refusedHandler = try await flow.save(.businessHandler, badHandler)
        #expect(refusedHandler.status == 400)
        let handlerProblems = Self.fields(refusedHandler)
        #expect(handlerProblems["residentId"] == "check_character_mismatch", "\(handlerProblems)")
        #expect(handlerProblems["emergencyContactMobile"] == "same_as_handler", "\(handlerProblems)")
        try await flow.saveAccepted(.businessHandler, handler)

        // The preview lists what is left: the attachments step.
        let partial = try await flow.preview()
        #expect(!partial.ready)
        #expect(partial.problems.keys.sorted() == ["attachments"])
        let notReady = try await client.send("POST", "/v1/unit/profile/submission", body: Data())
        #expect(notReady.status == 409)
        #expect(notReady.errorCode == "profile_incomplete")
        #expect(Self.fields(notReady)["attachments"] == "step_missing")

        // Attachments: one kind missing is refused with attachment_required; another unit's is not found.
        let attachments = try await flow.attach(UnitType.enterprise.requiredAttachmentKinds, seed: 1)
        let short = AttachmentsStep(items: Array(attachments.items.dropLast()))
        let refusedShort = try await flow.save(.attachments, short)
        #expect(refusedShort.status == 400)
        #expect(Self.fields(refusedShort)["items"] == "attachment_required")
        let stranger = ProfileCompletion(unit: try await system.client(unit: Fixtures.unit(2, salt: "P")))
        let foreign = try await stranger.attach([.businessLicence], seed: 2)
        var withForeign = attachments
        withForeign.items[0] = foreign.items[0]
        let refusedForeign = try await flow.save(.attachments, withForeign)
        #expect(Self.fields(refusedForeign)["items[0].attachmentId"] == "attachment_not_found")
        try await flow.saveAccepted(.attachments, attachments)

        let ready = try await flow.preview()
        #expect(ready.ready, "\(ready.problems)")
        #expect(Set(ready.draftSteps) == Set(ProfileStep.allCases))
        let job = try await flow.submit()
        #expect(job.status == .succeeded, "\(job)")

        let done = try await flow.home()
        #expect(done.profileStatus == .complete)
        #expect(!done.profileCompletionRequired)
        #expect(done.associationCode == code)
        #expect(done.basicInformation?.name == general.name)
        #expect(done.basicInformation?.unitTypeLabel == "企业")
        #expect(done.handlerInformation?.handlerName == handler.name)
        #expect(done.savedSteps.isEmpty, "the submitted draft steps are removed")
        let view = try await client.send("GET", "/v1/unit/profile").decode(UnitProfileView.self)
        #expect(view.profile?.qualifications == qualifications)
        #expect(view.attachments.count == 3)

        // Every new answer in its documented shape (schemas/openapi.json).
        for (path, schema) in [
            ("/v1/unit", "UnitHome"), ("/v1/unit/profile", "UnitProfileView"),
            ("/v1/unit/profile/draft", "ProfileDraft"),
            ("/v1/unit/profile/preview", "ProfilePreview"), ("/v1/unit/profile/changes", "ProfileChangePage"),
        ] {
            GatewayAPITests.expectConforms(try await client.send("GET", path), schema)
        }
        GatewayAPITests.expectConforms(refused, "Error")
        GatewayAPITests.expectConforms(notReady, "Error")
        GatewayAPITests.expectConforms(try await stranger.save(.generalInformation, general), "ProfileDraftStep")
        // Members the step does not have are dropped, not stored (a NUL in them cannot reach the database);
        // a NUL in a member it has is refused with the field named.
        let raw = try await system.client(unit: Fixtures.unit(2, salt: "P"))
        var object = try #require(
            try JSONSerialization.jsonObject(with: try JSONEncoder().encode(handler)) as? [String: Any])
        object["x\u{0}"] = "\u{0}"
        let extra = try await raw.send(
            "PUT", "/v1/unit/profile/draft/business-handler", body: try JSONSerialization.data(withJSONObject: object),
            headers: ["Content-Type": "application/json"])
        #expect(extra.status == 200, "\(Self.text(extra))")
        object["email"] = "a\u{0}@example.cn"
        let nul = try await raw.send(
            "PUT", "/v1/unit/profile/draft/business-handler", body: try JSONSerialization.data(withJSONObject: object),
            headers: ["Content-Type": "application/json"])
        #expect(Self.fields(nul)["email"] == "control_characters", "\(Self.text(nul))")

        let later = try await service.send(
            "POST", "/v1/service/association-requests",
            json: AssociationRequestSubmission(associationCode: code, person: population.person()))
        #expect(later.status == 202, "\(Self.text(later))")
        let accepted = try later.decode(AssociationJobAccepted.self)
        #expect(try await client.finishedJob(accepted.job.id)?.status == .succeeded)
    }

    /// A modification of basic information goes through the same checked step and a job; the history
    /// says who, when, before → after; handler maintenance is one form, also a job.
    @Test func modificationsAndHandlerMaintenanceLeaveAHistory() async throws {
        let (client, flow, before) = try await Self.completedUnit(3)
        var general = try #require(before.generalInformation)
        let oldAddress = general.officeAddress
        general.officeAddress = "北京市朝阳区建国路88号"
        try await flow.saveAccepted(.generalInformation, general)
        #expect(try await flow.home().savedSteps == [.generalInformation])
        #expect(try await flow.home().basicInformation?.officeAddress == oldAddress, "a draft changes nothing yet")
        #expect(try await flow.submit().status == .succeeded)
        let home = try await flow.home()
        #expect(home.basicInformation?.officeAddress == "北京市朝阳区建国路88号")
        #expect(home.profileStatus == .complete)

        var handler = try #require(before.businessHandler)
        handler.emergencyContactName = "欧阳未名"
        handler.emergencyContactMobile = handler.mobile == "13700137000" ? "13600136000" : "13700137000"
        let bad = try await client.send(
            "PUT", "/v1/unit/handler",
            json: BusinessHandler(
                name: "", residentId: "1", mobile: "2", emergencyContactName: "x", emergencyContactMobile: "3"))
        #expect(bad.status == 400)
        #expect(Set(Self.fields(bad).keys).isSuperset(of: ["name", "residentId", "mobile", "emergencyContactMobile"]))
        let maintained = try await client.send("PUT", "/v1/unit/handler", json: handler)
        #expect(maintained.status == 202, "\(Self.text(maintained))")
        let job = try maintained.decode(UnitJobAccepted.self).job
        #expect(try await client.finishedJob(job.id)?.status == .succeeded)
        #expect(try await flow.home().handlerInformation?.emergencyContactName == "欧阳未名")

        let changes = try await client.send("GET", "/v1/unit/profile/changes?limit=100").decode(
            Page<ProfileChange>.self)
        let address = try #require(changes.items.first { $0.field == "officeAddress" })
        #expect(address.step == .generalInformation)
        #expect(address.before == .string(oldAddress))
        #expect(address.after == .string("北京市朝阳区建国路88号"))
        #expect(address.actor == "operator-1")
        let contact = try #require(changes.items.first { $0.field == "emergencyContactName" })
        #expect(contact.step == .businessHandler)
        #expect(contact.after == .string("欧阳未名"))
        #expect(contact.jobId == job.id)
        #expect(changes.items.first?.jobId == job.id, "newest first")

        // An attachment the current profile names cannot be deleted (the profile would point at nothing).
        let named = try #require(before.attachments?.items.first?.attachmentId)
        let delete = try await client.send("DELETE", "/v1/attachments/\(named.uuidString.lowercased())")
        #expect(delete.status == 409, "\(Self.text(delete))")
        #expect(delete.errorCode == "attachment_in_use")
        #expect(try await client.attachment(named) != nil)
    }

    /// A submission lays its draft steps over the profile as it is when applied: a handler maintenance
    /// applied in between is kept; a step saved again after the submission stays in the draft, and an
    /// older job cannot remove a newer draft (revisions never repeat).
    @Test func theWorkerKeepsWhatChangedSinceTheSubmission() async throws {
        let system = try await SharedSystem.instance.get()
        let unitId = Fixtures.unit(5, salt: "P")
        let (client, flow, current) = try await Self.completedUnit(5)
        var general = try #require(current.generalInformation)
        general.officeAddress = "北京市西城区金融大街1号"
        let saved = try await flow.save(.generalInformation, general).decode(ProfileDraftStep.self)
        // The submission as the gateway builds it now: the draft steps and their revisions.
        let stale = UnitProfileJob(
            jobId: UUID(), unitId: unitId, actor: "operator-1", requestedAt: Date(),
            profile: UnitProfile(generalInformation: general), draftRevisions: [.generalInformation: saved.revision])
        // Meanwhile: the handler is maintained, and the step saved again.
        var handler = try #require(current.businessHandler)
        handler.emergencyContactName = "司马长青"
        let maintained = try await client.send("PUT", "/v1/unit/handler", json: handler)
        #expect(try await client.finishedJob(try maintained.decode(UnitJobAccepted.self).job.id)?.status == .succeeded)
        general.officeAddress = "北京市西城区金融大街2号"
        let resaved = try await flow.save(.generalInformation, general).decode(ProfileDraftStep.self)
        #expect(resaved.revision > saved.revision)

        _ = try await system.pool.transaction { connection in
            try JobStore.insert(try JobEnvelope(stale), subjectId: nil, on: connection)
        }
        let effects = JobEffects(handler: UnitProfileHandler(), pool: system.pool)
        guard case .applied(.succeeded) = try await effects.apply([Job(message: stale)])[0] else {
            Issue.record("the submission was not applied")
            return
        }
        let home = try await flow.home()
        #expect(home.basicInformation?.officeAddress == "北京市西城区金融大街1号")
        #expect(home.handlerInformation?.emergencyContactName == "司马长青", "the maintenance in between is kept")
        #expect(home.savedSteps == [.generalInformation], "the step saved again stays in the draft")
        let draft = try await client.send("GET", "/v1/unit/profile/draft").decode(ProfileDraft.self)
        #expect(draft.steps.first?.revision == resaved.revision)
        #expect(draft.profile.generalInformation?.officeAddress == "北京市西城区金融大街2号")
    }

    /// The worker checks again under the unit's lock: an attachment deleted after the preview refuses
    /// the submission with every reason and changes nothing; a redelivery changes nothing either.
    @Test func theWorkerRefusesWhatChangedSinceThePreview() async throws {
        let system = try await SharedSystem.instance.get()
        let unitId = Fixtures.unit(4, salt: "P")
        let client = try await system.client(unit: unitId)
        let flow = ProfileCompletion(unit: client)
        var population = DemoPopulation(seed: 4)
        let (general, qualifications, handler) = ProfileCompletion.forms(name: "北京复核测试有限公司", population: &population)
        try await flow.saveAccepted(.generalInformation, general)
        try await flow.saveAccepted(.qualifications, qualifications)
        try await flow.saveAccepted(.businessHandler, handler)
        let attachments = try await flow.attach(UnitType.enterprise.requiredAttachmentKinds, seed: 4)
        try await flow.saveAccepted(.attachments, attachments)
        let preview = try await flow.preview()
        #expect(preview.ready)
        let deleted = attachments.items[1].attachmentId
        let delete = try await client.send("DELETE", "/v1/attachments/\(deleted.uuidString.lowercased())")
        #expect(delete.status == 202 || delete.status == 204 || delete.status == 200, "\(Self.text(delete))")

        // As the gateway would have published it before the delete.
        let job = UnitProfileJob(
            jobId: UUID(), unitId: unitId, actor: "operator-1", requestedAt: Date(), profile: preview.profile,
            draftRevisions: [:])
        _ = try await system.pool.transaction { connection in
            try JobStore.insert(try JobEnvelope(job), subjectId: nil, on: connection)
        }
        let effects = JobEffects(handler: UnitProfileHandler(), pool: system.pool)
        let first = try await effects.apply([Job(message: job)])
        guard case .applied(.refused(let code, let detail)) = first[0] else {
            Issue.record("a profile with a deleted attachment was accepted: \(first)")
            return
        }
        #expect(code == "profile_incomplete")
        #expect(detail.contains("attachment_not_found"), "\(detail)")
        #expect(try await flow.home().profileStatus == .incomplete)
        let again = try await effects.apply([Job(message: job)])
        guard case .alreadyProcessed = again[0] else {
            Issue.record("a redelivered job was applied again: \(again)")
            return
        }
        let record = try await client.finishedJob(job.jobId)
        #expect(record?.status == .failed)
        #expect(record?.errorCode == "profile_incomplete")
    }
}
