import Foundation
import JobWorker
import PostgresClient
import TalentCore
import TalentStore

/// Applies association decisions (PRODUCT.md §2 "association decision"; manual §5) through the state
/// machine: requests, approvals, rejections, unlinks, position updates.
///
/// Every decision re-checks, under the association's row lock, that the association belongs to the
/// job's unit and is in the state the action needs, so two conflicting decisions on one request
/// serialise and exactly one wins; the loser is refused with `not_pending`. A refusal is recorded on
/// the job (`failed`, with its code and every reason) in the same transaction as the other jobs'
/// effects. Decisions batch: one transaction for up to 200 jobs, approvals and rejections written
/// with set-based statements.
public struct AssociationDecisionHandler: JobHandler {
    /// Today's date for identity-number checks (birth date not in the future), in Beijing time.
    let today: @Sendable () -> CalendarDate

    public init(today: @escaping @Sendable () -> CalendarDate = { CalendarDate.today() }) {
        self.today = today
    }

    public var maximumBatchSize: Int { 200 }

    /// Lock order: association, then the order the changes were requested in (a later position update
    /// must not be overwritten by an earlier one in the same batch), then job id.
    public func appliesBefore(_ first: Job<AssociationDecisionJob>, _ second: Job<AssociationDecisionJob>) -> Bool {
        // UUIDs order by their bytes, which is the order of their text.
        let left = (first.message.associationId, first.message.requestedAt, first.id)
        let right = (second.message.associationId, second.message.requestedAt, second.id)
        return left < right
    }

    public func apply(_ job: Job<AssociationDecisionJob>, prepared: Void, in transaction: PostgresConnection) throws
        -> JobOutcome
    {
        try apply([PreparedJob(job: job, prepared: ())], in: transaction)[0]
    }

    /// Applies the batch in its order (``appliesBefore(_:_:)``: by association), exactly as one by one
    /// would: each maximal run of consecutive approvals and rejections of distinct associations is
    /// decided together (one lock statement, one write per kind, one history insert); every other job
    /// (requests, which read the person's other associations; unlinks; position updates) alone, in
    /// its place. Jobs of distinct associations in a run do not read each other's rows, so deciding
    /// them together changes nothing but the number of statements; locks are still taken in the
    /// batch's association order.
    public func apply(_ batch: [PreparedJob<AssociationDecisionJob, Void>], in transaction: PostgresConnection) throws
        -> [JobOutcome]
    {
        var outcomes = [JobOutcome](repeating: .succeeded(), count: batch.count)
        for step in Self.steps(batch.map(\.job.message)) {
            if step.count == 1, !batch[step[0]].job.message.isDecidedTogether {
                do {
                    try decide(batch[step[0]].job.message, on: transaction)
                } catch let refusal as AssociationRefusal {
                    outcomes[step[0]] = Self.refused(refusal)
                }
                continue
            }
            let decided = try decideTogether(step.map { batch[$0].job.message }, on: transaction)
            for (index, outcome) in zip(step, decided) { outcomes[index] = outcome }
        }
        // Approvals and unlinks change who counts as a permit holder (an input of the eligibility
        // rules): the units' decisions are recomputed in this transaction, after every association
        // lock (units are locked last, in id order, here and in every other recomputation).
        let changedUnits = zip(batch, outcomes).compactMap { prepared, outcome -> String? in
            guard outcome == .succeeded(), [.approve, .unlink].contains(prepared.job.message.action) else { return nil }
            return prepared.job.message.unitId.rawValue
        }
        try EligibilityStore.recompute(units: changedUnits, today: today, on: transaction)
        return outcomes
    }

    /// The batch cut into steps, in order: runs of consecutive approvals and rejections with no
    /// association twice (a repeated association starts a new run), and every other job alone.
    static func steps(_ jobs: [AssociationDecisionJob]) -> [[Int]] {
        var steps: [[Int]] = []
        var run: [Int] = []
        var inRun = Set<UUID>()
        for (index, job) in jobs.enumerated() {
            if job.isDecidedTogether, inRun.insert(job.associationId).inserted {
                run.append(index)
                continue
            }
            if !run.isEmpty { steps.append(run) }
            run = []
            inRun = []
            if job.isDecidedTogether {
                run = [index]
                inRun = [job.associationId]
            } else {
                steps.append([index])
            }
        }
        if !run.isEmpty { steps.append(run) }
        return steps
    }

    static func refused(_ refusal: AssociationRefusal) -> JobOutcome {
        let reasons = refusal.reasons.map { "\($0.code.rawValue): \($0.detail)" }
        return .refused(code: refusal.code.rawValue, detail: ([refusal.detail] + reasons).joined(separator: "; "))
    }

    /// Approvals and rejections of distinct associations: locks them in one statement, checks each
    /// (the association belongs to the job's unit, the state machine allows the action, the form is
    /// valid), then writes the accepted ones per kind and their history, one statement each.
    /// - Returns: one outcome per job, in order; a refused job writes nothing.
    func decideTogether(_ jobs: [AssociationDecisionJob], on connection: PostgresConnection) throws -> [JobOutcome] {
        guard !jobs.isEmpty else { return [] }
        let locked = try AssociationStore.lock(associationIds: jobs.map(\.associationId), on: connection)
        var outcomes: [JobOutcome] = []
        var approvals: [(associationId: UUID, form: ApprovalForm)] = []
        var rejections: [(associationId: UUID, form: RejectionForm)] = []
        var transitions: [AssociationStore.Transition] = []
        for job in jobs {
            do {
                guard job.decision != nil else {
                    throw AssociationRefusal(.invalidForm, "the \(job.action.rawValue) form is missing")
                }
                guard let association = locked[job.associationId], association.unitId == job.unitId.rawValue else {
                    throw AssociationRefusal(.notFound, "no such association for this unit")
                }
                let next = try AssociationStateMachine.next(from: association.state, on: job.action)
                let form: String
                switch job.decision {
                case .approve(let approval):
                    try approval.validate()
                    form = try Self.json(approval)
                    approvals.append((job.associationId, approval))
                case .reject(let rejection):
                    try rejection.validate()
                    form = try Self.json(rejection)
                    rejections.append((job.associationId, rejection))
                case .request, .unlink, .updatePosition, nil:
                    throw AssociationRefusal(.invalidForm, "the \(job.action.rawValue) form is missing")
                }
                transitions.append(
                    AssociationStore.Transition(
                        associationId: job.associationId, jobId: job.jobId, action: job.action,
                        from: association.state, to: next, actor: job.actor, form: form))
                outcomes.append(.succeeded())
            } catch let refusal as AssociationRefusal {
                outcomes.append(Self.refused(refusal))
            }
        }
        try AssociationStore.approve(approvals, on: connection)
        try AssociationStore.reject(rejections, on: connection)
        try AssociationStore.record(transitions, on: connection)
        return outcomes
    }

    /// Checks and applies one request, unlink or position update. Every refusal is thrown before
    /// anything is written.
    /// - Throws: ``AssociationRefusal`` (recorded on the job) or database errors.
    func decide(_ job: AssociationDecisionJob, on connection: PostgresConnection) throws {
        switch job.decision {
        case nil, .approve, .reject:
            throw AssociationRefusal(.invalidForm, "the \(job.action.rawValue) form is missing")
        case .request(let profile):
            try request(job, profile: profile, on: connection)
        case .unlink(let unlink):
            try change(job, on: connection) { locked in
                try unlink.validate(entryDate: locked.entryDate)
                // Re-checked here, under the association's lock. Other queued changes do not block the
                // worker: they are applied in turn (the gateway's pre-check reports them).
                if let facts = try AssociationStore.unlinkFacts(
                    associationId: job.associationId, unitId: job.unitId, on: connection)
                {
                    let reasons = UnlinkRules.reasons(facts)
                    guard reasons.isEmpty else {
                        throw AssociationRefusal(
                            .unlinkBlocked, "the employee cannot be unlinked now", reasons: reasons)
                    }
                }
                try AssociationStore.unlink(associationId: job.associationId, unlink, on: connection)
                return try Self.json(unlink)
            }
        case .updatePosition(let update):
            try change(job, on: connection) { _ in
                try update.validate()
                try AssociationStore.updatePosition(associationId: job.associationId, update, on: connection)
                return try Self.json(update)
            }
        }
    }

    /// A change to an existing association: locks it (refused `not_found` when missing or another
    /// unit's), checks the state machine allows the action, runs `write` (which checks the form,
    /// writes, and returns the form as JSON), then appends the step to the history.
    func change(
        _ job: AssociationDecisionJob, on connection: PostgresConnection,
        _ write: (AssociationStore.LockedAssociation) throws -> String
    ) throws {
        guard
            let locked = try AssociationStore.lock(associationIds: [job.associationId], on: connection)[
                job.associationId], locked.unitId == job.unitId.rawValue
        else { throw AssociationRefusal(.notFound, "no such association for this unit") }
        let next = try AssociationStateMachine.next(from: locked.state, on: job.action)
        let form = try write(locked)
        try AssociationStore.record(
            [
                .init(
                    associationId: job.associationId, jobId: job.jobId, action: job.action, from: locked.state,
                    to: next, actor: job.actor, form: form)
            ], on: connection)
    }

    /// A request from the personal-edition portal: a new pending association, refused while the person
    /// has an open one with the unit.
    func request(_ job: AssociationDecisionJob, profile: PersonProfile, on connection: PostgresConnection) throws {
        let number = try profile.validate(today: today())
        // `validate` refused an invalid mobile number already.
        let mobile = profile.mobile.flatMap { try? MobileNumber(validating: $0) }
        // An association code is usable once the unit's profile is complete (completion is never undone).
        guard try UnitProfileStore.isComplete(unitId: job.unitId, on: connection) else {
            throw AssociationRefusal(.unitProfileIncomplete, "the unit has not completed its profile yet")
        }
        try AssociationStore.lockRequests(unitId: job.unitId, person: number, on: connection)
        // Refuse before writing anything: a refused request must not change the person's data.
        let existing = try AssociationStore.openState(unitId: job.unitId, person: number, on: connection)
        let next = try AssociationStateMachine.next(from: existing, on: .request)
        // The personal-edition portal is the source of the person's data: an accepted request brings
        // the latest profile.
        let personId = try AssociationStore.upsertPerson(profile, number: number, mobile: mobile, on: connection)
        try AssociationStore.insertPending(
            associationId: job.associationId, unitId: job.unitId, personId: personId, requestedAt: job.requestedAt,
            on: connection)
        // The person's data is stored on the person; the history keeps who asked.
        try AssociationStore.record(
            [
                .init(
                    associationId: job.associationId, jobId: job.jobId, action: .request, from: nil, to: next,
                    actor: job.actor, form: try Self.json(["name": profile.name]))
            ], on: connection)
    }

    /// A form as the JSON kept in the association's history.
    static func json<Form: Encodable>(_ form: Form) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(form), as: UTF8.self)
    }
}

extension AssociationDecisionJob {
    /// Approvals and rejections are decided together within a round (``AssociationDecisionHandler``).
    fileprivate var isDecidedTogether: Bool { action == .approve || action == .reject }
}
