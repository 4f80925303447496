import ArgumentParser
import Foundation
import PostgresClient
import ServiceConfiguration
import TalentAPI
import TalentClient
import TalentCore
import TalentGateway
import TalentStore

/// `talentctl demo notices` (manual §3): a policy notice published to every unit reaches each one (its
/// recipient count against the units there are), a unit created afterwards sees it too, read marks
/// change the unread count, and a new unit's system prompts follow its state: "profile incomplete"
/// until the profile is complete, "employees waiting" while an association request is pending.
extension Demo {
    func notices() async throws {
        let base = try URL(string: gateway).orThrow("bad --gateway")
        try await Reachability.require(.gateway(base), environment: nil)
        let environment = SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
        let pool = PostgresPool(configuration: environment.postgres(poolSize: 1))
        defer { pool.shutdown() }
        let store = NoticeStore(pool: pool)
        let issuer = try await DevelopmentIssuer.local()
        let services = try await DevelopmentIssuer.localServices()
        let policyPortal = GatewayClient(
            baseURL: base,
            token: try await services.mintService(service: "policy-portal", scope: ServiceTokenVerifier.noticesScope))
        let personalPortal = GatewayClient(
            baseURL: base, token: try await services.mintService(service: "personal-portal"))
        var population = DemoPopulation(seed: seed)
        let unit = population.unit(Int(seed % 100_000) + 200)
        let client = GatewayClient(
            baseURL: base, token: try await issuer.mint(unit: unit.code.rawValue, unitName: unit.name))
        print("== \(unit.name) (\(unit.code.rawValue)) logs in for the first time")
        try await printPrompts(client)

        let publication = try await policyPortal.send(
            "POST", "/v1/service/notices",
            json: NoticePublicationRequest(
                title: "关于做好\(CalendarDate.today().year)年度工作居住证年审工作的通知", summary: "请各单位按期提交年审材料。",
                documentUrl: "https://rsj.beijing.gov.cn/notices/annual-review.pdf"))
        guard publication.status == 202 else {
            throw ValidationError(
                "publishing answered \(publication.status): \(String(decoding: publication.body, as: UTF8.self))")
        }
        let accepted = try publication.decode(NoticeJobAccepted.self)
        let job = try await policyPortal.finishedJob(accepted.job.id, jobsPath: "/v1/service/jobs/")
        let notice = try await policyPortal.send(
            "GET", "/v1/service/notices/\(accepted.noticeId.uuidString.lowercased())"
        ).decode(NoticeRecord.self)
        let reach = try await store.reach(publicId: accepted.noticeId)
        print(
            "policy-portal published a notice to every unit: job \(job?.status.rawValue ?? "?"), the fan-out wrote \(notice.fanOut.recipients) inbox rows in \(notice.fanOut.chunks) chunk(s); it is in \(reach.delivered) of the \(reach.audience) units' inboxes"
        )
        guard reach.delivered == reach.audience else {
            throw ValidationError("the notice reached \(reach.delivered) of \(reach.audience) units")
        }
        let later = population.unit(Int(seed % 100_000) + 201)
        let laterClient = GatewayClient(
            baseURL: base, token: try await issuer.mint(unit: later.code.rawValue, unitName: later.name))
        let laterInbox = try await laterClient.send("GET", "/v1/notices").decode(Page<InboxNotice>.self)
        print(
            "\(later.name), first seen after the publication, has it too: \(laterInbox.items.contains { $0.id == accepted.noticeId })"
        )
        let before = try await client.send("GET", "/v1/home").decode(HomeNotices.self)
        _ = try await markRead(client, ReadMarksRequest(noticeIds: [accepted.noticeId]))
        let after = try await client.send("GET", "/v1/home").decode(HomeNotices.self)
        print("read it: unread notices \(before.unreadNotices) → \(after.unreadNotices)")

        print("== \(unit.name) completes its profile")
        _ = try await ProfileCompletion(unit: client).completeIfNeeded(name: unit.name, seed: seed)
        try await printPrompts(client)
        let code = try await client.send("GET", "/v1/unit").decode(UnitHome.self).associationCode ?? ""
        print("== an employee asks to be associated (personal-edition portal)")
        let request = try await personalPortal.send(
            "POST", "/v1/service/association-requests",
            json: AssociationRequestSubmission(associationCode: code, person: population.person()))
        let association = try request.decode(AssociationJobAccepted.self)
        _ = try await personalPortal.finishedJob(association.job.id, jobsPath: "/v1/service/jobs/")
        try await printPrompts(client)
        print("== the unit approves it")
        let approval = try await client.send(
            "POST", "/v1/association-requests/\(association.associationId.uuidString.lowercased())/approval",
            json: population.approval())
        _ = try await client.finishedJob(try approval.decode(AssociationJobAccepted.self).job.id)
        try await printPrompts(client)
    }

    func printPrompts(_ client: GatewayClient) async throws {
        let prompts = try await client.send("GET", "/v1/prompts").decode(Page<PromptItem>.self)
        if prompts.items.isEmpty { print("  system prompts: none") }
        for prompt in prompts.items {
            print("  system prompt \(prompt.kind.rawValue)\(prompt.read ? " (read)" : ""): \(prompt.message)")
        }
    }

    func markRead(_ client: GatewayClient, _ body: ReadMarksRequest) async throws -> JobRecord? {
        let reply = try await client.send("POST", "/v1/read-marks", json: body)
        return try await client.finishedJob(try reply.decode(ReadMarksAccepted.self).job.id)
    }
}
