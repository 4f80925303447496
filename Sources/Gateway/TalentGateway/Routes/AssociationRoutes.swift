import Foundation
import Hummingbird
import JobQueue
import Logging
import PostgresClient
import TalentAPI
import TalentCore
import TalentStore

/// Employee list (员工列表, manual §5; PRODUCT.md §3): counts, pending association requests with
/// approve/reject, current employees with detail, position/contract update and unlink — all scoped
/// to the unit in the token; a foreign association answers 404 like a missing one. Changes are
/// association-decision jobs (`202`); the worker applies them through the state machine.
struct AssociationRoutes: Sendable {
    let associations: AssociationStore
    let pool: PostgresPool
    /// Where the employee list runs (it may lag: the replica when fresh).
    let reads: ReadRouting
    let idempotency: IdempotentRequests
    let acceptance: JobAcceptance
    let admission: QueueAdmission

    /// The facts the unlink pre-check (manual §5) judges: the association's and the changes to it
    /// still queued; `nil` when the association is missing or foreign.
    func unlinkFacts(unitId: UnifiedSocialCreditCode, associationId: UUID) async throws -> UnlinkFacts? {
        try await store { [pool] in
            try await pool.withConnection { connection -> UnlinkFacts? in
                guard
                    var facts = try AssociationStore.unlinkFacts(
                        associationId: associationId, unitId: unitId, on: connection)
                else { return nil }
                facts.changesInProgress = try JobStore.queuedCount(
                    kind: .associationDecision, subjectId: associationId, excluding: nil, on: connection)
                return facts
            }
        }
    }

    /// `GET /v1/employee-summary`: counts and the unit's association code.
    func summary(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let summary = try await store { [associations] in
            try await associations.summary(unitId: identity.unitId, unitName: identity.unitName)
        }
        return JSONResponse.make(
            status: .ok,
            EmployeeSummaryResponse(
                associationCode: summary.associationCode, pending: summary.counts.pending,
                active: summary.counts.active))
    }

    /// `GET /v1/association-requests?name=&residentId=&sex=&requestedFrom=&requestedTo=&limit=&offset=`.
    func listPending(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let (filter, limit, offset) = try Self.filter(request, from: "requestedFrom", to: "requestedTo")
        let page = try await store { [associations] in
            try await associations.pending(unitId: identity.unitId, filter: filter, limit: limit, offset: offset)
        }
        return JSONResponse.make(status: .ok, page)
    }

    /// `GET /v1/employees?name=&residentId=&sex=&position=&entryFrom=&entryTo=&limit=&offset=`.
    func listEmployees(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let (base, limit, offset) = try Self.filter(request, from: "entryFrom", to: "entryTo")
        var filter = base
        filter.position = try Self.textQuery(request, "position")
        let page = try await store { [reads, filter] in
            try await reads.read(unit: identity.unitId) { pool in
                try await AssociationStore(pool: pool).employees(
                    unitId: identity.unitId, filter: filter, limit: limit, offset: offset)
            }
        }
        return JSONResponse.make(status: .ok, page)
    }

    /// `GET /v1/employees/{associationId}`: general information, education, work history, position,
    /// contract, history. Any state (a former employee's record stays readable).
    func employee(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.uuidParameter("associationId")
        guard
            let detail = try await store({ [associations] in
                try await associations.employee(unitId: identity.unitId, associationId: id)
            })
        else { throw GatewayError(.notFound, "no such employee") }
        return JSONResponse.make(status: .ok, detail)
    }

    /// `GET /v1/employees/{associationId}/unlink-check`: whether unlinking is allowed, and every reason
    /// it is not.
    func unlinkCheck(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.uuidParameter("associationId")
        guard let facts = try await unlinkFacts(unitId: identity.unitId, associationId: id)
        else { throw GatewayError(.notFound, "no such employee") }
        let reasons = UnlinkRules.reasons(facts)
        return JSONResponse.make(status: .ok, UnlinkCheck(allowed: reasons.isEmpty, reasons: reasons))
    }

    /// `POST /v1/association-requests/{associationId}/approval` with an ``ApprovalForm``.
    func approve(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (form, bytes) = try await JSONBody.decode(ApprovalForm.self, request)
        return try await decide(.approve(form), needs: .pending, problems: form.problems(), bytes, request, context)
    }

    /// `POST /v1/association-requests/{associationId}/rejection` with a ``RejectionForm``.
    func reject(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (form, bytes) = try await JSONBody.decode(RejectionForm.self, request)
        return try await decide(.reject(form), needs: .pending, problems: form.problems(), bytes, request, context)
    }

    /// `PUT /v1/employees/{associationId}/position` with a ``PositionUpdateForm``.
    func updatePosition(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (form, bytes) = try await JSONBody.decode(PositionUpdateForm.self, request)
        return try await decide(
            .updatePosition(form), needs: .active, problems: form.problems(), bytes, request, context)
    }

    /// `POST /v1/employees/{associationId}/unlink` with an ``UnlinkForm``; refused with `409
    /// unlink_refused` and every reason when the pre-check fails (the worker checks again).
    func unlink(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.uuidParameter("associationId")
        let (form, bytes) = try await JSONBody.decode(UnlinkForm.self, request)
        let key = try IdempotentRequests.key(request, caller: identity.caller, identifying: bytes)
        if let earlier = try await idempotency.earlierAnswer(key, rebuild: Self.rebuild(nil)) { return earlier }
        guard let facts = try await unlinkFacts(unitId: identity.unitId, associationId: id)
        else { throw GatewayError(.notFound, "no such employee") }
        let reasons = UnlinkRules.reasons(facts)
        if let notActive = reasons.first(where: { $0.code == .notActive }) {
            throw GatewayError(.notActive, "the person is not a current employee (\(notActive.detail))")
        }
        let problems = form.problems(entryDate: facts.entryDate)
        guard problems.isEmpty else { throw GatewayError.invalidRequest(problems) }
        guard reasons.isEmpty else {
            throw GatewayError(.unlinkRefused, "the employee cannot be unlinked now", reasons: reasons)
        }
        return try await decide(.unlink(form), needs: .active, problems: [], bytes, request, context)
    }

    /// Checks the association exists for the unit (404 first: nothing is said about another unit's
    /// association) and is in `state` (409), then the form (`problems`: 400 `invalid_request` naming
    /// every field; the worker checks the same rules again under the lock), then submits the decision.
    /// With an `Idempotency-Key`, the first answer comes back before any of these checks.
    func decide(
        _ decision: AssociationDecision, needs state: AssociationState, problems: [FieldProblem], _ bytes: [UInt8],
        _ request: Request, _ context: GatewayRequestContext
    ) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.uuidParameter("associationId")
        let key = try IdempotentRequests.key(request, caller: identity.caller, identifying: bytes)
        if let earlier = try await idempotency.earlierAnswer(key, rebuild: Self.rebuild(nil)) { return earlier }
        try admission.admit(.associationDecision)
        guard
            let current = try await store({ [associations] in
                try await associations.state(unitId: identity.unitId, associationId: id)
            })
        else { throw GatewayError(.notFound, state == .pending ? "no such association request" : "no such employee") }
        guard current == state else {
            throw state == .pending
                ? GatewayError(.notPending, "the request is no longer pending (it is \(current.rawValue))")
                : GatewayError(
                    .notActive, "the person is not a current employee (the association is \(current.rawValue))")
        }
        guard problems.isEmpty else { throw GatewayError.invalidRequest(problems) }
        let job = AssociationDecisionJob(
            jobId: UUID(), unitId: identity.unitId, associationId: id, actor: identity.operatorId,
            requestedAt: Date(), decision: decision)
        return try await submit(
            try JobEnvelope(job), subjectId: id, unitName: identity.unitName, key: key,
            wait: PreferWait.seconds(request), logger: context.logger)
    }

    /// Stores and publishes a decision job about `subjectId` and answers `202` (``JobAcceptance``).
    func submit(
        _ message: JobEnvelope, subjectId: UUID, unitName: String?, key: IdempotencyKey?, warnings: [String]? = nil,
        service: ServiceIdentity? = nil, wait: Int?, logger: Logger
    ) async throws -> Response {
        try await acceptance.submit(
            message, subjectId: subjectId, unitName: unitName, key: key, service: service, wait: wait, logger: logger,
            body: { AssociationJobAccepted(associationId: subjectId, job: $0, warnings: warnings) },
            rebuild: Self.rebuiltBody)
    }

    /// The first `202`'s body of a keyed decision, from its job.
    @Sendable static func rebuiltBody(_ subjectId: UUID?, _ job: JobRecord) -> AssociationJobAccepted? {
        subjectId.map { AssociationJobAccepted(associationId: $0, job: job) }
    }

    /// The first answer of a keyed decision rebuilt from its job.
    static func rebuild(_ service: ServiceIdentity?)
        -> @Sendable (IdempotentReplay, JobRecord) async throws -> Response?
    {
        JobAcceptance.rebuild(service, body: rebuiltBody)
    }

    /// `POST /v1/service/association-requests` (service token): an employee asks, through the
    /// personal-edition portal, to be associated with the unit whose association code they entered.
    func submitRequest(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let service = try context.requireService()
        let (body, bytes) = try await JSONBody.decode(AssociationRequestSubmission.self, request)
        let key = try IdempotentRequests.key(request, caller: service.caller, identifying: bytes)
        if let earlier = try await idempotency.earlierAnswer(key, rebuild: Self.rebuild(service)) { return earlier }
        try admission.admit(.associationDecision)
        let (problems, number) = body.person.problems(today: CalendarDate.today())
        guard problems.isEmpty, let number else { throw GatewayError.invalidRequest(problems, within: "person") }
        let warnings = number.regionWarning.map { [$0] } ?? []
        guard
            let (unitId, profileComplete) = try await store({ [associations] in
                try await associations.unit(associationCode: body.associationCode)
            })
        else { throw GatewayError(.unknownAssociationCode, "no unit has this association code") }
        // Decided in docs/decisions: a code is usable once its unit completed its profile (manual §2);
        // the worker checks again.
        guard profileComplete else {
            throw GatewayError(
                .unitProfileIncomplete, "the unit has not completed its profile yet; its association code is not usable"
            )
        }
        // Checked again by the worker under the person's request lock (two requests at once).
        if let open = try await store({ [pool] in
            try await pool.withConnection { connection in
                try AssociationStore.openState(unitId: unitId, person: number, on: connection)
            }
        }) {
            throw GatewayError(
                .alreadyExists, "the person already has a \(open.rawValue) association with this unit")
        }
        let id = UUID()
        let job = AssociationDecisionJob(
            jobId: UUID(), unitId: unitId, associationId: id, actor: "service:\(service.service)",
            requestedAt: Date(), decision: .request(body.person))
        return try await submit(
            try JobEnvelope(job), subjectId: id, unitName: nil, key: key, warnings: warnings.isEmpty ? nil : warnings,
            service: service, wait: PreferWait.seconds(request), logger: context.logger)
    }

    // MARK: Helpers

    static func filter(_ request: Request, from: String, to: String) throws(GatewayError) -> (
        AssociationFilter, Int, Int
    ) {
        let limit = try request.integerQuery("limit", default: 20, range: 1...100)
        let offset = try request.integerQuery("offset", default: 0, range: 0...1_000_000)
        func text(_ name: String) throws(GatewayError) -> String? {
            try Self.textQuery(request, name)
        }
        func date(_ name: String) throws(GatewayError) -> CalendarDate? {
            guard let value = try text(name) else { return nil }
            guard let date = CalendarDate(iso8601: value) else {
                throw GatewayError(.invalidParameter, "\(name) must be a date YYYY-MM-DD")
            }
            return date
        }
        var sex: Sex?
        if let value = try text("sex") {
            guard let parsed = Sex(rawValue: value) else {
                throw GatewayError(.invalidParameter, "sex must be male or female")
            }
            sex = parsed
        }
        let filter = AssociationFilter(
            name: try text("name"), residentId: try text("residentId"), from: try date(from), to: try date(to),
            sex: sex)
        return (filter, limit, offset)
    }

    /// A text filter: unset or empty means all; at most 100 characters.
    static func textQuery(_ request: Request, _ name: String) throws(GatewayError) -> String? {
        guard let value = request.optionalQuery(name), !value.isEmpty else { return nil }
        guard value.count <= 100 else { throw GatewayError(.invalidParameter, "\(name) is longer than 100 characters") }
        return value
    }
}
