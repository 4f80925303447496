import Foundation
import TalentAPI
import TalentClient
import TalentCore
import TalentGateway
import TalentTestSupport
import Testing

/// Every operation of the gateway's table tried by another tenant against unit A's data: reads never
/// show A's data, writes never change it, ids of A's resources answer `404 not_found` like missing
/// ones. The switch over ``GatewayOperation`` has no `default`: an operation added without its case
/// here does not compile.
@Suite("Tenant isolation")
struct TenantIsolationTests {
    /// Unit A's resources, and what of them must never appear in another tenant's answers.
    struct Owner {
        let client: GatewayClient
        let unit: UnifiedSocialCreditCode
        let code: String
        let pending: UUID
        let employee: UUID
        let attachment: UUID
        let job: UUID
        let serviceJob: UUID
        /// A's profile values (name, handler, attachments, its draft's office address).
        let profileValues: [String]

        var secrets: [String] {
            [unit.rawValue, code] + profileValues
                + [pending, employee, attachment, job, serviceJob].map { $0.uuidString.lowercased() }
        }
    }

    static func owner(_ system: TestSystem) async throws -> Owner {
        let unit = Fixtures.unit(1, salt: "J")
        let client = try await system.client(unit: unit)
        let code = try await system.completeProfile(unit: unit)
        var population = DemoPopulation(seed: 99)
        let service = try await system.serviceClient()
        var associations: [UUID] = []
        var serviceJob = UUID()
        for _ in 0..<2 {
            let reply = try await service.send(
                "POST", "/v1/service/association-requests",
                json: AssociationRequestSubmission(associationCode: code, person: population.person()))
            let accepted = try reply.decode(AssociationJobAccepted.self)
            #expect(try await client.finishedJob(accepted.job.id)?.status == .succeeded)
            associations.append(accepted.associationId)
            serviceJob = accepted.job.id
        }
        let approval = try await client.send(
            "POST", "/v1/association-requests/\(associations[1].uuidString.lowercased())/approval",
            json: population.approval())
        #expect(
            try await client.finishedJob(try approval.decode(AssociationJobAccepted.self).job.id)?.status == .succeeded)
        let upload = try await client.upload(DemoDocument.png(seed: 77), fileName: "a.png", kind: .other)
        let uploaded = try upload.decode(UploadAccepted.self)
        _ = try await client.finishedJob(uploaded.job.id)
        // A pending draft and a modification in the history, so that every profile read has A's data.
        let profile = try #require(
            try await client.send("GET", "/v1/unit/profile").decode(UnitProfileView.self).profile)
        var general = try #require(profile.generalInformation)
        general.officeAddress = "北京市东城区保密胡同9号"
        #expect(try await ProfileCompletion(unit: client).save(.generalInformation, general).status == 200)
        let handler = try #require(profile.businessHandler)
        let values =
            [try #require(profile.generalInformation?.name), general.officeAddress, handler.residentId, handler.mobile]
            + (profile.attachments?.items ?? []).map { $0.attachmentId.uuidString.lowercased() }
        return Owner(
            client: client, unit: unit, code: code, pending: associations[0], employee: associations[1],
            attachment: uploaded.attachment.id, job: uploaded.job.id, serviceJob: serviceJob, profileValues: values)
    }

    /// What A's own reads answer now: compared after every foreign write.
    static func state(_ owner: Owner) async throws -> [String] {
        var bodies: [String] = []
        for path in [
            "/v1/unit", "/v1/unit/profile", "/v1/unit/profile/draft", "/v1/attachments", "/v1/association-requests",
            "/v1/employees", "/v1/employees/\(owner.employee.uuidString.lowercased())", "/v1/prompts", "/v1/services",
            "/v1/business-items",
        ] {
            bodies.append(String(decoding: try await owner.client.send("GET", path).body, as: UTF8.self))
        }
        return bodies
    }

    @Test func everyOperationKeepsTenantsApart() async throws {
        let system = try await SharedSystem.instance.get()
        let owner = try await Self.owner(system)
        let stranger = try await system.client(unit: Fixtures.unit(2, salt: "J"))
        let otherService = try await system.serviceClient(name: "another-portal")
        let before = try await Self.state(owner)
        var population = DemoPopulation(seed: 5)
        let (general, qualifications, handler) = ProfileCompletion.forms(name: "他人单位", population: &population)
        let pending = owner.pending.uuidString.lowercased()
        let employee = owner.employee.uuidString.lowercased()
        let attachment = owner.attachment.uuidString.lowercased()

        /// A foreign read: answered, without any of A's data.
        func read(_ client: GatewayClient, _ path: String, status: Int = 200) async throws {
            let reply = try await client.send("GET", path)
            #expect(reply.status == status, "GET \(path): \(reply.status)")
            let body = String(decoding: reply.body, as: UTF8.self).lowercased()
            for secret in owner.secrets { #expect(!body.contains(secret.lowercased()), "GET \(path) shows \(secret)") }
        }
        /// A request naming A's resource: 404 not_found.
        func notFound(_ method: String, _ path: String, json: (any Encodable)? = nil) async throws {
            let reply =
                if let json { try await stranger.send(method, path, json: json) } else {
                    try await stranger.send(method, path)
                }
            #expect(reply.status == 404, "\(method) \(path): \(reply.status)")
            #expect(reply.errorCode == "not_found", "\(method) \(path)")
        }

        for operation in GatewayOperation.allCases {
            switch operation {
            case .getLiveness, .getReadiness, .getMetrics:
                // No tenant data: health and metrics carry no unit, code or id.
                try await read(stranger, operation.path)
            case .uploadAttachment:
                // Acts on the caller's own unit only.
                let reply = try await stranger.upload(DemoDocument.png(seed: 78), fileName: "b.png", kind: .other)
                #expect(reply.status == 202)
                #expect(try reply.decode(UploadAccepted.self).attachment.unitId != owner.unit.rawValue)
            case .listAttachments, .getEmployeeSummary, .listAssociationRequests, .listEmployees, .getUnit,
                .getUnitProfile, .getProfileDraft, .previewProfile, .listProfileChanges:
                try await read(stranger, operation.path)
            case .getAttachment: try await notFound("GET", "/v1/attachments/\(attachment)")
            case .deleteAttachment: try await notFound("DELETE", "/v1/attachments/\(attachment)")
            case .getJob: try await notFound("GET", "/v1/jobs/\(owner.job.uuidString.lowercased())")
            case .approveAssociationRequest:
                try await notFound("POST", "/v1/association-requests/\(pending)/approval", json: population.approval())
            case .rejectAssociationRequest:
                try await notFound(
                    "POST", "/v1/association-requests/\(pending)/rejection", json: RejectionForm(reason: "不符"))
            case .getEmployee: try await notFound("GET", "/v1/employees/\(employee)")
            case .updateEmployeePosition:
                try await notFound(
                    "PUT", "/v1/employees/\(employee)/position",
                    json: PositionUpdateForm(position: "主管", department: nil, contract: nil))
            case .checkEmployeeUnlink: try await notFound("GET", "/v1/employees/\(employee)/unlink-check")
            case .unlinkEmployee:
                try await notFound(
                    "POST", "/v1/employees/\(employee)/unlink",
                    json: UnlinkForm(leaveDate: CalendarDate(year: 2026, month: 1, day: 1)!, reason: "离职"))
            case .submitAssociationRequest:
                // A unit token cannot act as the personal-edition portal.
                let reply = try await stranger.send(
                    "POST", operation.path,
                    json: AssociationRequestSubmission(associationCode: owner.code, person: population.person()))
                #expect(reply.status == 401)
                #expect(reply.errorCode == "token_wrong_realm")
            case .getServiceJob:
                // Another service does not see this service's job; a unit token is refused.
                let path = "/v1/service/jobs/\(owner.serviceJob.uuidString.lowercased())"
                let foreign = try await otherService.send("GET", path)
                #expect(foreign.status == 404)
                #expect(try await stranger.send("GET", path).errorCode == "token_wrong_realm")
            case .saveGeneralInformation:
                #expect(try await ProfileCompletion(unit: stranger).save(.generalInformation, general).status == 200)
            case .saveQualifications:
                #expect(try await ProfileCompletion(unit: stranger).save(.qualifications, qualifications).status == 200)
            case .saveBusinessHandler:
                #expect(try await ProfileCompletion(unit: stranger).save(.businessHandler, handler).status == 200)
            case .saveProfileAttachments:
                // A's attachment cannot be named in another unit's profile.
                let reply = try await ProfileCompletion(unit: stranger).save(
                    .attachments,
                    AttachmentsStep(items: [ProfileAttachment(kind: .other, attachmentId: owner.attachment)]))
                #expect(reply.status == 400)
                #expect(
                    reply.body.count > 0 && String(decoding: reply.body, as: UTF8.self).contains("attachment_not_found")
                )
            case .submitProfile:
                // The stranger's own draft (no attachments step): refused for its own reasons.
                let reply = try await stranger.send("POST", operation.path, body: Data())
                #expect(reply.status == 409)
                #expect(reply.errorCode == "profile_incomplete")
            case .updateHandler:
                let reply = try await stranger.send("PUT", operation.path, json: handler)
                #expect(reply.status == 409, "the stranger's profile is incomplete, A's is not touched")
                #expect(reply.errorCode == "profile_incomplete")
            case .publishNotice, .getNotice, .withdrawNotice:
                // Services with the notices scope only: a unit token and another scope are refused.
                let path = operation.path.replacingOccurrences(of: "{noticeId}", with: UUID().uuidString.lowercased())
                let method = operation.method.rawValue
                let body = NoticePublicationRequest(title: "通知", documentUrl: "https://example.cn/a.pdf")
                for (client, code) in [(stranger, "token_wrong_realm"), (otherService, "insufficient_scope")] {
                    let reply =
                        operation == .publishNotice
                        ? try await client.send(method, path, json: body) : try await client.send(method, path)
                    #expect(reply.errorCode == code, "\(method) \(path)")
                }
            case .getHome, .listNotices, .listPrompts:
                try await read(stranger, operation.path)
            case .markRead:
                // Marks only the caller's own prompts and notices, whatever ids it names.
                let prompts = try await owner.client.send("GET", "/v1/prompts").decode(Page<PromptItem>.self)
                let reply = try await stranger.send(
                    "POST", operation.path,
                    json: ReadMarksRequest(allNotices: true, promptIds: prompts.items.map(\.id)))
                #expect(reply.status == 202)
                _ = try await stranger.finishedJob(try reply.decode(ReadMarksAccepted.self).job.id)
            case .updateCreditList, .reportRegistrationChanges, .reportBusinessItems:
                // Services with the operation's scope only: a unit token and another scope are refused.
                for (client, code) in [(stranger, "token_wrong_realm"), (otherService, "insufficient_scope")] {
                    let reply = try await client.send("POST", operation.path, json: CreditListUpdate(added: []))
                    #expect(reply.errorCode == code, "POST \(operation.path)")
                }
            case .listServices, .listBusinessItems:
                try await read(stranger, operation.path)
            }
        }
        #expect(try await Self.state(owner) == before, "a foreign request changed unit A's data")
    }
}
