import Foundation
import Hummingbird
import JobQueue
import Logging
import TalentAPI
import TalentCore
import TalentStore

/// Restricted services and business in progress (manual §4, §7): upstream services report the inputs
/// of the eligibility rules (credit list, registration changes, business items), each an
/// `eligibility.check` job; a unit reads its service list, answered from its stored decisions, and its
/// business in progress.
struct EligibilityRoutes: Sendable {
    let eligibility: EligibilityStore
    let businessItems: BusinessItemStore
    let associations: AssociationStore
    let idempotency: IdempotentRequests
    let acceptance: JobAcceptance
    let admission: QueueAdmission

    // MARK: Services

    /// `POST /v1/service/credit-list` with a ``CreditListUpdate``: lists and unlists units (a job that
    /// recomputes exactly those units).
    func creditList(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let service = try context.requireService()
        let (body, bytes) = try await JSONBody.decode(CreditListUpdate.self, request)
        let key = try IdempotentRequests.key(request, caller: service.caller, identifying: bytes)
        if let earlier = try await idempotency.earlierAnswer(key, rebuild: Self.rebuild) { return earlier }
        var problems: [FieldProblem] = []
        let added = Self.codes(body.added ?? [], field: "added", problems: &problems)
        let removed = Self.codes(body.removed ?? [], field: "removed", problems: &problems)
        if added.isEmpty, removed.isEmpty, problems.isEmpty {
            problems.append(.init(field: "added", code: "required", message: "name units to add or remove"))
        }
        if added.count + removed.count > EligibilityJob.maximumEntries {
            problems.append(
                .init(
                    field: "added", code: "too_many", message: "at most \(EligibilityJob.maximumEntries) codes at once")
            )
        }
        for code in Set(added).intersection(removed) {
            problems.append(.init(field: "removed", code: "conflict", message: "\(code.rawValue) is also added"))
        }
        problems += EligibilityJob.reasonProblems(body.reason)
        guard problems.isEmpty else { throw GatewayError.invalidRequest(problems) }
        let job = EligibilityJob(
            jobId: UUID(), action: .creditList, actor: service.caller, requestedAt: Date(), added: added,
            removed: removed, reason: body.reason)
        return try await submit(job, key: key, service: service, request: request, context: context)
    }

    /// `POST /v1/service/registration-changes` with a ``RegistrationChangeReport``.
    func registrationChanges(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let service = try context.requireService()
        let (body, bytes) = try await JSONBody.decode(RegistrationChangeReport.self, request)
        let key = try IdempotentRequests.key(request, caller: service.caller, identifying: bytes)
        if let earlier = try await idempotency.earlierAnswer(key, rebuild: Self.rebuild) { return earlier }
        var problems: [FieldProblem] = []
        Self.count(body.changes.count, field: "changes", maximum: EligibilityJob.maximumEntries, problems: &problems)
        let today = CalendarDate.today()
        var changes: [RegistrationChange] = []
        for (index, change) in body.changes.enumerated() {
            let unit = Self.code(change.unitId, field: "changes[\(index)].unitId", problems: &problems)
            guard let date = CalendarDate(iso8601: change.changedOn), date <= today else {
                problems.append(
                    .init(
                        field: "changes[\(index)].changedOn", code: "invalid_date",
                        message: "a YYYY-MM-DD date, not in the future"))
                continue
            }
            if let unit { changes.append(RegistrationChange(unitId: unit, changedOn: date)) }
        }
        guard problems.isEmpty else { throw GatewayError.invalidRequest(problems) }
        let job = EligibilityJob(
            jobId: UUID(), action: .registrationChanges, actor: service.caller, requestedAt: Date(), changes: changes)
        return try await submit(job, key: key, service: service, request: request, context: context)
    }

    /// `POST /v1/service/business-items` with a ``BusinessItemReport``.
    func reportBusinessItems(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let service = try context.requireService()
        let (body, bytes) = try await JSONBody.decode(BusinessItemReport.self, request)
        let key = try IdempotentRequests.key(request, caller: service.caller, identifying: bytes)
        if let earlier = try await idempotency.earlierAnswer(key, rebuild: Self.rebuild) { return earlier }
        var problems: [FieldProblem] = []
        Self.count(body.items.count, field: "items", maximum: EligibilityJob.maximumItems, problems: &problems)
        let today = CalendarDate.today()
        var items: [BusinessItem] = []
        for (index, report) in body.items.enumerated() {
            let field = "items[\(index)]"
            let unit = Self.code(report.unitId, field: "\(field).unitId", problems: &problems)
            // Ordered by milliseconds (the job message's precision); a time in the future would freeze
            // the item against every later report.
            guard let updatedAt = try? NoticeRoutes.publicationTime(report.updatedAt),
                updatedAt < Date().addingTimeInterval(Self.allowedClockSkewSeconds)
            else {
                problems.append(
                    .init(
                        field: "\(field).updatedAt", code: "invalid_value",
                        message: "an RFC 3339 date-time, not in the future"))
                continue
            }
            guard let unitId = unit else { continue }
            let item = BusinessItem(
                reference: report.reference, unitId: unitId, service: report.service, status: report.status,
                residentId: report.residentId?.uppercased(), title: report.title, updatedAt: updatedAt)
            let itemProblems = item.problems(today: today)
            problems += itemProblems.map {
                FieldProblem(field: "\(field).\($0.field)", code: $0.code, message: $0.message)
            }
            if itemProblems.isEmpty { items.append(item) }
        }
        guard problems.isEmpty else { throw GatewayError.invalidRequest(problems) }
        let job = EligibilityJob(
            jobId: UUID(), action: .businessItems, actor: service.caller, requestedAt: Date(), items: items)
        return try await submit(job, key: key, service: service, request: request, context: context)
    }

    func submit(
        _ job: EligibilityJob, key: IdempotencyKey?, service: ServiceIdentity, request: Request,
        context: GatewayRequestContext
    ) async throws -> Response {
        try admission.admit(.eligibilityCheck)
        let envelope: JobEnvelope
        do {
            envelope = try JobEnvelope(job)
        } catch {
            throw GatewayError(
                .tooLarge,
                "the report makes a job message over \(JobMessageCodec.maxBodyBytes) bytes; send fewer entries")
        }
        return try await acceptance.submit(
            envelope, subjectId: nil, unitName: nil, key: key, service: service,
            wait: PreferWait.seconds(request), logger: context.logger, body: { EligibilityJobAccepted(job: $0) },
            rebuild: { _, job in EligibilityJobAccepted(job: job) })
    }

    /// How far a reported `updatedAt` may be ahead of this gateway's clock, in seconds.
    static let allowedClockSkewSeconds: TimeInterval = 300

    /// The first `202` of a keyed report, from its job.
    static let rebuild = JobAcceptance.rebuild(jobsPath: "/v1/service/jobs/") { _, job in
        EligibilityJobAccepted(job: job)
    }

    /// `texts` as unified social credit codes, each once; a problem per invalid one (`field[index]`).
    static func codes(_ texts: [String], field: String, problems: inout [FieldProblem]) -> [UnifiedSocialCreditCode] {
        var seen: Set<UnifiedSocialCreditCode> = []
        return texts.enumerated().compactMap { index, text in
            code(text, field: "\(field)[\(index)]", problems: &problems).flatMap { seen.insert($0).inserted ? $0 : nil }
        }
    }

    /// `text` as a unified social credit code, or `nil` with a problem naming `field`.
    static func code(_ text: String, field: String, problems: inout [FieldProblem]) -> UnifiedSocialCreditCode? {
        guard let code = try? UnifiedSocialCreditCode(validating: text) else {
            problems.append(
                .init(
                    field: field, code: "invalid_unit_id", message: "not a unified social credit code (GB 32100-2015)"))
            return nil
        }
        return code
    }

    /// A problem when a list of `count` entries is empty or longer than `maximum`.
    static func count(_ count: Int, field: String, maximum: Int, problems: inout [FieldProblem]) {
        if count == 0 { problems.append(.init(field: field, code: "required", message: "at least one entry")) }
        if count > maximum {
            problems.append(.init(field: field, code: "too_many", message: "at most \(maximum) entries"))
        }
    }

    // MARK: Units

    /// `GET /v1/services`: the service list (manual §4) with the unit's association code.
    func services(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let summary = try await store { [associations] in
            try await associations.summary(unitId: identity.unitId, unitName: identity.unitName)
        }
        let decisions = try await store { [eligibility] in try await eligibility.decisions(unitId: identity.unitId) }
        var entries = decisions.map { stored in
            ServiceList.Entry(
                service: stored.decision.service.rawValue, name: stored.decision.service.label,
                nameEnglish: stored.decision.service.labelEnglish, status: stored.decision.status,
                reasons: stored.decision.reasons, ruleSetVersion: stored.decision.ruleSetVersion,
                decidedAt: stored.decidedAt, entry: stored.decision.service.rawValue)
        }
        entries.append(
            ServiceList.Entry(
                service: "attachment_management", name: "附件管理", nameEnglish: "attachment management",
                status: .allowed, reasons: [], ruleSetVersion: nil, decidedAt: nil,
                entry: GatewayOperation.listAttachments.path))
        return JSONResponse.make(status: .ok, ServiceList(associationCode: summary.associationCode, services: entries))
    }

    /// `GET /v1/business-items?limit=&offset=`: business in progress (manual §7), newest first.
    func inProgress(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let limit = try request.integerQuery("limit", default: 20, range: 1...100)
        let offset = try request.integerQuery("offset", default: 0, range: 0...1_000_000)
        let page = try await store { [businessItems] in
            try await businessItems.inProgress(unitId: identity.unitId, limit: limit, offset: offset)
        }
        return JSONResponse.make(status: .ok, BusinessItemsInProgress(page: page))
    }
}
