import Foundation
import TalentAPI
import TalentClient
import TalentCore
import TalentGateway
import TalentTestSupport
import Testing

/// Notices and system prompts (manual §3) through the gateway and the notice worker: publication and
/// fan-out, audiences, units created after a notice, read marks, withdrawal, prompts that follow the
/// unit's state. Serialized: notices to every unit reach the other tests' units too.
@Suite("Notices and prompts", .serialized)
struct NoticeAPITests {
    static let servicePath = "/v1/service/jobs/"

    static func noticeService(_ system: TestSystem) async throws -> GatewayClient {
        try await system.serviceClient(scope: ServiceTokenVerifier.noticesScope, name: "policy-portal")
    }

    /// Publishes `body` and waits for its fan-out; returns the notice as its service sees it.
    static func publish(_ body: NoticePublicationRequest, _ service: GatewayClient) async throws -> NoticeRecord {
        let reply = try await service.send("POST", "/v1/service/notices", json: body)
        #expect(reply.status == 202, "\(String(decoding: reply.body, as: UTF8.self))")
        let accepted = try reply.decode(NoticeJobAccepted.self)
        #expect(accepted.job.kind == JobKind.noticeFanout.rawValue)
        let job = try await service.finishedJob(accepted.job.id, jobsPath: servicePath)
        #expect(job?.status == .succeeded, "\(String(describing: job))")
        return try await service.send("GET", "/v1/service/notices/\(accepted.noticeId.uuidString.lowercased())")
            .decode(NoticeRecord.self)
    }

    static func inbox(_ client: GatewayClient, unread: Bool = false) async throws -> Page<InboxNotice> {
        try await client.send("GET", "/v1/notices?limit=100" + (unread ? "&unread=true" : "")).decode(
            Page<InboxNotice>.self)
    }

    static func markRead(_ client: GatewayClient, _ body: ReadMarksRequest) async throws {
        let reply = try await client.send("POST", "/v1/read-marks", json: body)
        #expect(reply.status == 202, "\(String(decoding: reply.body, as: UTF8.self))")
        let job = try await client.finishedJob(try reply.decode(ReadMarksAccepted.self).job.id)
        #expect(job?.status == .succeeded)
    }

    @Test func aNoticeToEveryUnitReachesUnitsBeforeAndAfterIt() async throws {
        let system = try await SharedSystem.instance.get()
        let service = try await Self.noticeService(system)
        let before = try await system.client(unit: Fixtures.unit(1, salt: "N"))
        _ = try await before.send("GET", "/v1/unit")
        let notice = try await Self.publish(
            NoticePublicationRequest(
                title: "关于开展2026年度工作居住证年审的通知", summary: "请于12月31日前提交材料。",
                documentUrl: "https://rsj.beijing.gov.cn/notice/1.pdf"), service)
        #expect(notice.fanOut.completedAt != nil)
        #expect(notice.fanOut.recipients >= 1)
        #expect(notice.audience.isAllUnits)
        let seen = try await Self.inbox(before).items.first { $0.id == notice.id }
        #expect(seen?.read == false)
        #expect(seen?.documentUrl == "https://rsj.beijing.gov.cn/notice/1.pdf")

        // A unit whose first request comes after the fan-out sees it too.
        let after = try await system.client(unit: Fixtures.unit(2, salt: "N"))
        _ = try await after.send("GET", "/v1/unit")
        #expect(try await Self.inbox(after).items.contains { $0.id == notice.id })

        // Read one, then all; the home view counts unread notices.
        try await Self.markRead(before, ReadMarksRequest(noticeIds: [notice.id]))
        #expect(try await Self.inbox(before).items.first { $0.id == notice.id }?.read == true)
        #expect(try await !Self.inbox(before, unread: true).items.contains { $0.id == notice.id })
        try await Self.markRead(after, ReadMarksRequest(allNotices: true))
        let home = try await after.send("GET", "/v1/home").decode(HomeNotices.self)
        #expect(home.unreadNotices == 0)
        #expect(home.notices.first { $0.id == notice.id }?.read == true)

        // Withdrawn: gone from every inbox; a second withdrawal is refused.
        let id = notice.id.uuidString.lowercased()
        let withdrawal = try await service.send("POST", "/v1/service/notices/\(id)/withdrawal")
        #expect(withdrawal.status == 202)
        let withdrawn = try await service.finishedJob(
            try withdrawal.decode(NoticeJobAccepted.self).job.id, jobsPath: Self.servicePath)
        #expect(withdrawn?.status == .succeeded)
        #expect(try await !Self.inbox(before).items.contains { $0.id == notice.id })
        #expect(try await !Self.inbox(after).items.contains { $0.id == notice.id })
        let again = try await service.send("POST", "/v1/service/notices/\(id)/withdrawal")
        #expect(again.status == 409)
        #expect(again.errorCode == "notice_withdrawn")
        #expect(
            try await service.send("GET", "/v1/service/notices/\(id)").decode(NoticeRecord.self).withdrawnAt != nil)
    }

    @Test func anAudienceByUnitTypeAndDistrictReachesOnlyItsUnits() async throws {
        let system = try await SharedSystem.instance.get()
        let service = try await Self.noticeService(system)
        let unitId = Fixtures.unit(3, salt: "N")
        _ = try await system.completeProfile(unit: unitId)  // an enterprise in 海淀区 (110108)
        let client = try await system.client(unit: unitId)
        let incomplete = try await system.client(unit: Fixtures.unit(4, salt: "N"))
        _ = try await incomplete.send("GET", "/v1/unit")
        let addressed = try await Self.publish(
            NoticePublicationRequest(
                title: "海淀区企业人才政策", documentUrl: "https://example.cn/haidian.pdf",
                audience: NoticeAudience(unitTypes: [.enterprise], districts: ["110108"])), service)
        let elsewhere = try await Self.publish(
            NoticePublicationRequest(
                title: "朝阳区事业单位通知", documentUrl: "https://example.cn/chaoyang.pdf",
                audience: NoticeAudience(unitTypes: [.publicInstitution], districts: ["110105"])), service)
        let ids = Set(try await Self.inbox(client).items.map(\.id))
        #expect(ids.contains(addressed.id))
        #expect(!ids.contains(elsewhere.id))
        #expect(try await !Self.inbox(incomplete).items.contains { $0.id == addressed.id })
    }

    @Test func badPublicationsAreRefusedNamingTheField() async throws {
        let system = try await SharedSystem.instance.get()
        let service = try await Self.noticeService(system)
        let reply = try await service.send(
            "POST", "/v1/service/notices",
            json: NoticePublicationRequest(
                title: " ", documentUrl: "http://example.cn/a.pdf", publishedAt: "tomorrow",
                audience: NoticeAudience(unitTypes: [], districts: ["999999"])))
        #expect(reply.status == 400)
        #expect(reply.errorCode == "invalid_request")
        let text = String(decoding: reply.body, as: UTF8.self)
        for field in ["publishedAt"] { #expect(text.contains(field)) }
        let second = try await service.send(
            "POST", "/v1/service/notices",
            json: NoticePublicationRequest(
                title: " ", documentUrl: "http://example.cn/a.pdf",
                audience: NoticeAudience(unitTypes: [], districts: ["999999"])))
        let fields = String(decoding: second.body, as: UTF8.self)
        for field in ["\"title\"", "\"documentUrl\"", "audience.unitTypes", "audience.districts[0]"] {
            #expect(fields.contains(field), "\(field) in \(fields)")
        }
        // Only services with the notices scope publish.
        let portal = try await system.serviceClient()
        let refused = try await portal.send(
            "POST", "/v1/service/notices",
            json: NoticePublicationRequest(title: "t", documentUrl: "https://example.cn/a.pdf"))
        #expect(refused.status == 403)
        #expect(refused.errorCode == "insufficient_scope")
    }

    @Test func promptsFollowTheUnitsState() async throws {
        let system = try await SharedSystem.instance.get()
        let unitId = Fixtures.unit(5, salt: "N")
        let client = try await system.client(unit: unitId)
        func kinds() async throws -> [SystemPrompt.Kind: PromptItem] {
            let page = try await client.send("GET", "/v1/prompts").decode(Page<PromptItem>.self)
            return Dictionary(page.items.map { ($0.kind, $0) }) { first, _ in first }
        }
        #expect(try await kinds()[.profileIncomplete] != nil, "a new unit is told to complete its profile")
        // Read marks hold while the cause lasts.
        try await Self.markRead(client, ReadMarksRequest(allPrompts: true))
        #expect(try await kinds()[.profileIncomplete]?.read == true)

        let code = try await system.completeProfile(unit: unitId)
        #expect(try await kinds()[.profileIncomplete] == nil, "gone once the profile is complete")

        // A pending association request appears as a prompt, and goes once decided.
        var population = DemoPopulation(seed: 31)
        let portal = try await system.serviceClient()
        let request = try await portal.send(
            "POST", "/v1/service/association-requests",
            json: AssociationRequestSubmission(associationCode: code, person: population.person()))
        let accepted = try request.decode(AssociationJobAccepted.self)
        _ = try await portal.finishedJob(accepted.job.id, jobsPath: Self.servicePath)
        let pending = try #require(try await kinds()[.pendingAssociations])
        #expect(pending.read == false)
        #expect(pending.message.contains("1"))
        let rejection = try await client.send(
            "POST", "/v1/association-requests/\(accepted.associationId.uuidString.lowercased())/rejection",
            json: RejectionForm(reason: "信息不符"))
        _ = try await client.finishedJob(try rejection.decode(AssociationJobAccepted.self).job.id)
        #expect(try await kinds()[.pendingAssociations] == nil)

        // A rejected attachment is prompted until one of its kind is accepted after it.
        let bad = try await client.upload(Data("not a png".utf8), fileName: "licence.png", kind: .other)
        _ = try await client.finishedJob(try bad.decode(UploadAccepted.self).job.id)
        let rejected = try #require(try await kinds()[.attachmentRejected])
        #expect(rejected.id.hasSuffix(try bad.decode(UploadAccepted.self).attachment.id.uuidString.lowercased()))
        let good = try await client.upload(DemoDocument.png(seed: 12), fileName: "licence2.png", kind: .other)
        _ = try await client.finishedJob(try good.decode(UploadAccepted.self).job.id)
        #expect(try await kinds()[.attachmentRejected] == nil)

        let home = try await client.send("GET", "/v1/home").decode(HomeNotices.self)
        #expect(!home.prompts.contains { $0.kind == .profileIncomplete })
    }

    @Test func readMarksNeedSomethingToMark() async throws {
        let system = try await SharedSystem.instance.get()
        let client = try await system.client(unit: Fixtures.unit(6, salt: "N"))
        let reply = try await client.send("POST", "/v1/read-marks", json: ReadMarksRequest())
        #expect(reply.status == 400)
        #expect(reply.errorCode == "invalid_request")
    }
}
