import Foundation
import Hummingbird
import JobQueue
import TalentAPI
import TalentCore
import TalentStore

/// The unit's own information (manual §2 单位信息完善, §6 单位信息展示): the home answer, the full view,
/// the profile-completion steps (each checked and saved as a draft step), the preview, the submission
/// and handler maintenance (unit-profile jobs, `202`), and the history of changes. Every route acts
/// on the unit in the token: there is no unit in any path, so no other unit's data can be named.
///
/// Saving a step stores input, as an upload stores bytes: the step is checked at once (`400
/// invalid_request` naming every field, nothing saved) and kept in the draft; the state change is the
/// submission, which a worker applies under the unit's lock after checking everything again.
struct UnitRoutes: Sendable {
    let profiles: UnitProfileStore
    let idempotency: IdempotentRequests
    let acceptance: JobAcceptance
    let admission: QueueAdmission

    /// `GET /v1/unit`: who the unit is, whether it must complete its profile first, its association
    /// code once usable, basic and handler information.
    func home(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let snapshot = try await snapshot(identity)
        let complete = snapshot.status == .complete
        let general = snapshot.current?.generalInformation
        return JSONResponse.make(
            status: .ok,
            UnitHome(
                unitId: identity.unitId.rawValue, name: general?.name ?? snapshot.name ?? identity.unitName,
                profileStatus: snapshot.status, savedSteps: snapshot.draftSteps.map(\.step),
                associationCode: complete ? snapshot.associationCode : nil,
                basicInformation: general.map { UnitBasicInformation($0, unitId: identity.unitId.rawValue) },
                handlerInformation: snapshot.current?.businessHandler.map(UnitHandlerInformation.init),
                profileCompletedAt: snapshot.completedAt))
    }

    /// `GET /v1/unit/profile`: the current profile with its attachments (`profile` is `null` until
    /// the profile is complete).
    func profile(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let snapshot = try await snapshot(identity)
        let ids = snapshot.current?.attachments?.items.map(\.attachmentId) ?? []
        let attachments = try await store { [profiles] in
            try await profiles.attachments(unitId: identity.unitId, ids: ids)
        }
        return JSONResponse.make(
            status: .ok,
            UnitProfileView(
                unitId: identity.unitId.rawValue, profileStatus: snapshot.status, profile: snapshot.current,
                attachments: attachments, profileCompletedAt: snapshot.completedAt,
                profileUpdatedAt: snapshot.updatedAt))
    }

    /// `GET /v1/unit/profile/draft`: the saved steps.
    func draft(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let snapshot = try await snapshot(try context.requireIdentity())
        return JSONResponse.make(status: .ok, ProfileDraft(steps: snapshot.draftSteps, profile: snapshot.draft))
    }

    /// `PUT /v1/unit/profile/draft/general-information` with a ``GeneralInformation``.
    func saveGeneralInformation(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (step, _) = try await JSONBody.decode(GeneralInformation.self, request)
        return try await save(.generalInformation, step, context) { rules, _ in rules.problems(of: step) }
    }

    /// `PUT /v1/unit/profile/draft/qualifications` with a ``QualificationsStep``; needs the unit type.
    func saveQualifications(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (step, _) = try await JSONBody.decode(QualificationsStep.self, request)
        return try await save(.qualifications, step, context) { rules, merged in
            rules.problems(of: step, unitType: merged.generalInformation?.unitType)
        }
    }

    /// `PUT /v1/unit/profile/draft/business-handler` with a ``BusinessHandler``.
    func saveBusinessHandler(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (step, _) = try await JSONBody.decode(BusinessHandler.self, request)
        return try await save(.businessHandler, step, context) { rules, _ in rules.problems(of: step) }
    }

    /// `PUT /v1/unit/profile/draft/attachments` with an ``AttachmentsStep``; needs the unit type. Each
    /// attachment must be one of the unit's, of the kind given, with the verdict `accepted`.
    func saveAttachments(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (step, _) = try await JSONBody.decode(AttachmentsStep.self, request)
        return try await save(.attachments, step, context, attachmentIds: step.items.map(\.attachmentId)) {
            rules, merged in
            rules.problems(
                of: step, unitType: merged.generalInformation?.unitType, qualifications: merged.qualifications)
        }
    }

    /// Checks a step (`problems`, with the rules and — for qualifications and attachments, which need
    /// the unit type — the profile as it would be) and saves it.
    /// - Throws: `profile_step_order` (409) for qualifications or attachments before the unit type is
    ///   known; `invalid_request` (400) naming every problem.
    func save(
        _ step: ProfileStep, _ value: some Encodable, _ context: GatewayRequestContext, attachmentIds: [UUID] = [],
        problems: (UnitProfileRules, UnitProfile) -> [FieldProblem]
    ) async throws -> Response {
        let identity = try context.requireIdentity()
        // Only qualifications and attachments depend on the rest of the profile (the unit type).
        var merged = UnitProfile()
        if step == .qualifications || step == .attachments {
            merged = try await snapshot(identity).merged
            guard merged.generalInformation != nil else {
                throw GatewayError(
                    .profileStepOrder,
                    "save general_information first: the unit type decides what \(step.rawValue) needs")
            }
        }
        let facts = try await store { [profiles] in
            try await profiles.attachmentFacts(unitId: identity.unitId, ids: attachmentIds)
        }
        let rules = UnitProfileRules(unitId: identity.unitId, today: CalendarDate.today(), attachments: facts)
        let found = problems(rules, merged)
        guard found.isEmpty else { throw GatewayError.invalidRequest(found) }
        // Stored as decoded (members the step does not have are dropped); reading it back decodes it again.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let content = String(decoding: try encoder.encode(value), as: UTF8.self)
        let saved = try await store { [profiles] in
            try await profiles.save(
                step: step, content: content, unitId: identity.unitId, unitName: identity.unitName,
                savedBy: identity.operatorId)
        }
        return JSONResponse.make(status: .ok, saved)
    }

    /// `GET /v1/unit/profile/preview`: the whole profile a submission would send and every remaining
    /// problem per step.
    func preview(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let snapshot = try await snapshot(identity)
        let (merged, problems) = try await check(snapshot, identity)
        return JSONResponse.make(
            status: .ok, ProfilePreview(profile: merged, problems: problems, draftSteps: snapshot.draft.steps))
    }

    /// `POST /v1/unit/profile/submission` (no body): submits the previewed profile as a unit-profile
    /// job; refused `409 profile_incomplete` with every remaining problem (the worker checks again).
    func submit(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let key = try IdempotentRequests.key(request, caller: identity.caller, identifying: [])
        if let earlier = try await idempotency.earlierAnswer(key, rebuild: Self.rebuild) { return earlier }
        try admission.admit(.unitProfile)
        let snapshot = try await snapshot(identity)
        let (_, problems) = try await check(snapshot, identity)
        guard problems.isEmpty else {
            let fields = UnitProfileRules.flattened(problems)
            throw GatewayError(
                .profileIncomplete, "\(fields.count) problem(s) remain (see fields and the preview)", fields: fields)
        }
        let job = UnitProfileJob(
            jobId: UUID(), unitId: identity.unitId, actor: identity.operatorId, requestedAt: Date(),
            profile: snapshot.draft, draftRevisions: snapshot.draftRevisions)
        return try await submit(job, identity, key: key, request, context)
    }

    /// `PUT /v1/unit/handler` with a ``BusinessHandler``: handler maintenance (manual §6) as a
    /// unit-profile job, once the profile is complete.
    func updateHandler(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let (handler, bytes) = try await JSONBody.decode(BusinessHandler.self, request)
        let key = try IdempotentRequests.key(request, caller: identity.caller, identifying: bytes)
        if let earlier = try await idempotency.earlierAnswer(key, rebuild: Self.rebuild) { return earlier }
        try admission.admit(.unitProfile)
        let problems = UnitProfileRules(unitId: identity.unitId, today: CalendarDate.today()).problems(of: handler)
        guard problems.isEmpty else { throw GatewayError.invalidRequest(problems) }
        guard try await snapshot(identity).status == .complete else {
            throw GatewayError(
                .profileIncomplete, "complete the profile first: the handler is its business_handler step")
        }
        let job = UnitProfileJob(
            jobId: UUID(), unitId: identity.unitId, actor: identity.operatorId, requestedAt: Date(), handler: handler)
        return try await submit(job, identity, key: key, request, context)
    }

    /// `GET /v1/unit/profile/changes?limit=&offset=`: the history, newest first.
    func changes(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let limit = try request.integerQuery("limit", default: 20, range: 1...100)
        let offset = try request.integerQuery("offset", default: 0, range: 0...1_000_000)
        let page = try await store { [profiles] in
            try await profiles.changes(unitId: identity.unitId, limit: limit, offset: offset)
        }
        return JSONResponse.make(status: .ok, page)
    }

    // MARK: Helpers

    func snapshot(_ identity: UnitIdentity) async throws -> UnitProfileStore.Snapshot {
        try await store { [profiles] in
            try await profiles.snapshot(unitId: identity.unitId, unitName: identity.unitName)
        }
    }

    /// The profile a submission sends and its problems, against the unit's attachments as they are now.
    func check(_ snapshot: UnitProfileStore.Snapshot, _ identity: UnitIdentity) async throws -> (
        UnitProfile, [ProfileStep: [FieldProblem]]
    ) {
        let merged = snapshot.merged
        let ids = merged.attachments?.items.map(\.attachmentId) ?? []
        let facts = try await store { [profiles] in
            try await profiles.attachmentFacts(unitId: identity.unitId, ids: ids)
        }
        let rules = UnitProfileRules(unitId: identity.unitId, today: CalendarDate.today(), attachments: facts)
        return (merged, rules.problems(of: merged))
    }

    func submit(
        _ job: UnitProfileJob, _ identity: UnitIdentity, key: IdempotencyKey?, _ request: Request,
        _ context: GatewayRequestContext
    ) async throws -> Response {
        try await acceptance.submit(
            try JobEnvelope(job), subjectId: nil, unitName: identity.unitName, key: key,
            wait: PreferWait.seconds(request), logger: context.logger, body: { UnitJobAccepted(job: $0) },
            rebuild: { _, job in UnitJobAccepted(job: job) })
    }

    /// The first answer of a keyed submission rebuilt from its job.
    static let rebuild = JobAcceptance.rebuild(nil) { _, job in UnitJobAccepted(job: job) }
}
