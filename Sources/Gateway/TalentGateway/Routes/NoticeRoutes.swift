import Foundation
import Hummingbird
import JobQueue
import Logging
import PostgresClient
import TalentAPI
import TalentCore
import TalentStore

/// Notices (通知信息展示, manual §3): upstream services publish and withdraw policy notices; a unit
/// reads its inbox and its system prompts and marks them read. Every change is a `notice.fanout` job.
struct NoticeRoutes: Sendable {
    let notices: NoticeStore
    /// Where the inbox list runs (it may lag: the replica when fresh).
    let reads: ReadRouting
    let idempotency: IdempotentRequests
    let acceptance: JobAcceptance
    let admission: QueueAdmission

    /// Notices on the home page (the newest) and prompts of each kind shown there.
    static let homeNotices = 5
    static let homePromptsPerKind = 3

    // MARK: Services

    /// `POST /v1/service/notices` with a ``NoticePublicationRequest``: stores the notice with its
    /// publication job (one transaction) and answers `202` once the broker confirmed the job; the
    /// worker fans it out to its audience.
    func publish(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let service = try context.requireService()
        let (body, bytes) = try await JSONBody.decode(NoticePublicationRequest.self, request)
        let key = try IdempotentRequests.key(request, caller: service.caller, identifying: bytes)
        if let earlier = try await idempotency.earlierAnswer(key, rebuild: Self.rebuild) { return earlier }
        try admission.admit(.noticeFanout)
        let notice = PolicyNotice(
            title: body.title, summary: body.summary ?? "", documentUrl: body.documentUrl,
            publishedAt: try Self.publicationTime(body.publishedAt), audience: body.audience ?? .allUnits)
        let problems = notice.problems()
        guard problems.isEmpty else { throw GatewayError.invalidRequest(problems) }
        let jobId = UUID()
        let job = NoticeJob(jobId: jobId, action: .publish, noticeId: jobId, actor: service.caller, requestedAt: Date())
        return try await acceptance.submit(
            try JobEnvelope(job), subjectId: jobId, unitName: nil, key: key, service: service,
            wait: PreferWait.seconds(request), logger: context.logger,
            write: { connection in
                try NoticeStore.insert(notice, publicId: jobId, createdBy: service.caller, on: connection)
            },
            undo: { connection in try NoticeStore.deleteUnpublished(publicId: jobId, on: connection) },
            body: { NoticeJobAccepted(noticeId: jobId, job: $0) },
            rebuild: { subjectId, job in NoticeJobAccepted(noticeId: subjectId ?? jobId, job: job) })
    }

    /// A publication's `publishedAt` (RFC 3339, with or without fractional seconds), now when absent.
    /// - Throws: ``GatewayError`` `invalid_request` naming `publishedAt`.
    static func publicationTime(_ text: String?) throws(GatewayError) -> Date {
        guard let text else { return Date() }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        throw GatewayError.invalidRequest([
            FieldProblem(field: "publishedAt", code: "invalid_value", message: "not an RFC 3339 date-time")
        ])
    }

    /// The first `202` of a keyed publication or withdrawal, from its job (the subject is the notice).
    static let rebuild = JobAcceptance.rebuild(jobsPath: "/v1/service/jobs/") { subjectId, job in
        subjectId.map { NoticeJobAccepted(noticeId: $0, job: job) }
    }

    /// `GET /v1/service/notices/{noticeId}`: the notice with its fan-out's progress.
    func notice(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        _ = try context.requireService()
        let id = try context.uuidParameter("noticeId")
        guard let notice = try await store({ [notices] in try await notices.notice(publicId: id) }) else {
            throw GatewayError(.notFound, "no such notice")
        }
        return JSONResponse.make(status: .ok, notice)
    }

    /// `POST /v1/service/notices/{noticeId}/withdrawal`: hides the notice from every inbox (a job).
    func withdraw(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let service = try context.requireService()
        let id = try context.uuidParameter("noticeId")
        let key = try IdempotentRequests.key(
            request, caller: service.caller, identifying: Array("withdraw \(id.uuidString.lowercased())".utf8))
        if let earlier = try await idempotency.earlierAnswer(key, rebuild: Self.rebuild) { return earlier }
        try admission.admit(.noticeFanout)
        guard let notice = try await store({ [notices] in try await notices.notice(publicId: id) }) else {
            throw GatewayError(.notFound, "no such notice")
        }
        guard notice.withdrawnAt == nil else { throw GatewayError(.noticeWithdrawn, "the notice is already withdrawn") }
        let job = NoticeJob(jobId: UUID(), action: .withdraw, noticeId: id, actor: service.caller, requestedAt: Date())
        return try await acceptance.submit(
            try JobEnvelope(job), subjectId: id, unitName: nil, key: key, service: service,
            wait: PreferWait.seconds(request), logger: context.logger,
            body: { NoticeJobAccepted(noticeId: id, job: $0) },
            rebuild: { subjectId, job in NoticeJobAccepted(noticeId: subjectId ?? id, job: job) })
    }

    // MARK: Units

    /// `GET /v1/home`: the newest notices and the prompts of each kind, with the unread counts.
    func home(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let inbox = try await store { [notices] in
            try await notices.inbox(unitId: identity.unitId, unreadOnly: false, limit: Self.homeNotices, offset: 0)
        }
        let prompts = try await prompts(identity)
        var shown: [SystemPrompt.Kind: Int] = [:]
        let home = prompts.filter { prompt in
            shown[prompt.kind, default: 0] += 1
            return shown[prompt.kind, default: 0] <= Self.homePromptsPerKind
        }
        return JSONResponse.make(
            status: .ok,
            HomeNotices(
                notices: inbox.page.items, unreadNotices: inbox.unread, prompts: home,
                unreadPrompts: prompts.filter { !$0.read }.count))
    }

    /// `GET /v1/notices?unread=&limit=&offset=`: the inbox, newest first ("view more").
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let limit = try request.integerQuery("limit", default: 20, range: 1...100)
        let offset = try request.integerQuery("offset", default: 0, range: 0...1_000_000)
        let unreadOnly: Bool
        switch request.optionalQuery("unread") {
        case nil, "false": unreadOnly = false
        case "true": unreadOnly = true
        default: throw GatewayError(.invalidParameter, "unread must be true or false")
        }
        let inbox = try await store { [reads] in
            try await reads.read(unit: identity.unitId) { pool in
                try await NoticeStore(pool: pool).inbox(
                    unitId: identity.unitId, unreadOnly: unreadOnly, limit: limit, offset: offset)
            }
        }
        return JSONResponse.make(status: .ok, inbox.page)
    }

    /// `GET /v1/prompts?limit=&offset=`: every system prompt of the unit now, by kind ("view more").
    func listPrompts(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let limit = try request.integerQuery("limit", default: 20, range: 1...100)
        let offset = try request.integerQuery("offset", default: 0, range: 0...1_000_000)
        let prompts = try await prompts(identity)
        let items = Array(prompts.dropFirst(offset).prefix(limit))
        return JSONResponse.make(status: .ok, Page(items: items, total: prompts.count, limit: limit, offset: offset))
    }

    /// `POST /v1/read-marks` with a ``ReadMarksRequest``: marks notices and prompts read (a job).
    func markRead(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let (body, bytes) = try await JSONBody.decode(ReadMarksRequest.self, request)
        let key = try IdempotentRequests.key(request, caller: identity.caller, identifying: bytes)
        if let earlier = try await idempotency.earlierAnswer(key, rebuild: Self.rebuildReadMarks) { return earlier }
        let noticeIds = body.noticeIds ?? []
        var promptIds = body.promptIds ?? []
        var problems: [FieldProblem] = []
        if noticeIds.count > 100 {
            problems.append(.init(field: "noticeIds", code: "too_many", message: "at most 100 notices at once"))
        }
        if promptIds.count > 100 {
            problems.append(.init(field: "promptIds", code: "too_many", message: "at most 100 prompts at once"))
        }
        for (index, id) in promptIds.enumerated() where id.isEmpty || id.utf8.count > 200 {
            problems.append(
                .init(field: "promptIds[\(index)]", code: "invalid_value", message: "not a prompt id (1–200 bytes)"))
        }
        if noticeIds.isEmpty, promptIds.isEmpty, body.allNotices != true, body.allPrompts != true {
            problems.append(
                .init(
                    field: "noticeIds", code: "required",
                    message: "name notices or prompts, or set allNotices or allPrompts"))
        }
        guard problems.isEmpty else { throw GatewayError.invalidRequest(problems) }
        try admission.admit(.noticeFanout)
        var upTo: Int64?
        if body.allNotices == true {
            upTo = try await store { [notices] in try await notices.newestInboxPosition(unitId: identity.unitId) }
        }
        if body.allPrompts == true {
            promptIds += try await prompts(identity).map(\.id)
        }
        let job = NoticeJob(
            jobId: UUID(), unitId: identity.unitId, actor: identity.operatorId, requestedAt: Date(),
            noticeIds: noticeIds, readAllUpTo: upTo, promptIds: Array(Set(promptIds)).sorted())
        return try await acceptance.submit(
            try JobEnvelope(job), subjectId: nil, unitName: identity.unitName, key: key,
            wait: PreferWait.seconds(request), logger: context.logger, body: { ReadMarksAccepted(job: $0) },
            rebuild: { _, job in ReadMarksAccepted(job: job) })
    }

    static let rebuildReadMarks = JobAcceptance.rebuild(nil) { _, job in ReadMarksAccepted(job: job) }

    /// The unit's prompts now, with its read marks.
    func prompts(_ identity: UnitIdentity) async throws -> [PromptItem] {
        let (facts, read) = try await store { [notices] in try await notices.promptFacts(unitId: identity.unitId) }
        return SystemPrompts.derive(from: facts, today: CalendarDate.today()).map {
            PromptItem($0, read: read.contains($0.id))
        }
    }
}
