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
/// effects. Decisions batch: one transaction for up to 32 jobs.
public struct AssociationDecisionHandler: JobHandler {
    /// Today's date for identity-number checks (birth date not in the future), in Beijing time.
    let today: @Sendable () -> CalendarDate

    public init(today: @escaping @Sendable () -> CalendarDate = { CalendarDate.today() }) {
        self.today = today
    }

    public var maximumBatchSize: Int { 32 }

    /// Lock order: association, then the order the changes were requested in (a later position update
    /// must not be overwritten by an earlier one in the same batch), then job id.
    public func appliesBefore(_ first: Job<AssociationDecisionJob>, _ second: Job<AssociationDecisionJob>) -> Bool {
        let left = (first.message.associationId.uuidString, first.message.requestedAt, first.id.uuidString)
        let right = (second.message.associationId.uuidString, second.message.requestedAt, second.id.uuidString)
        return left < right
    }

    public func apply(_ job: Job<AssociationDecisionJob>, prepared: Void, in transaction: PostgresConnection) throws
        -> JobOutcome
    {
        do {
            try decide(job.message, on: transaction)
            return .succeeded()
        } catch let refusal as AssociationRefusal {
            let reasons = refusal.reasons.map { "\($0.code.rawValue): \($0.detail)" }
            return .refused(code: refusal.code.rawValue, detail: ([refusal.detail] + reasons).joined(separator: "; "))
        }
    }

    /// Checks and applies one decision. Every refusal is thrown before anything is written.
    /// - Throws: ``AssociationRefusal`` (recorded on the job) or database errors.
    func decide(_ job: AssociationDecisionJob, on connection: PostgresConnection) throws {
        guard let decision = job.decision else {
            throw AssociationRefusal(.invalidForm, "the \(job.action.rawValue) form is missing")
        }
        if case .request(let profile) = decision {
            return try request(job, profile: profile, on: connection)
        }
        guard
            let locked = try AssociationStore.lock(associationId: job.associationId, unitId: job.unitId, on: connection)
        else { throw AssociationRefusal(.notFound, "no such association for this unit") }
        let next = try AssociationStateMachine.next(from: locked.state, on: job.action)
        let form: String
        switch decision {
        case .request:
            preconditionFailure("handled above")
        case .approve(let approval):
            try approval.validate()
            try AssociationStore.approve(associationId: job.associationId, approval, on: connection)
            form = try Self.json(approval)
        case .reject(let rejection):
            try rejection.validate()
            try AssociationStore.reject(associationId: job.associationId, rejection, on: connection)
            form = try Self.json(rejection)
        case .unlink(let unlink):
            try unlink.validate(entryDate: locked.entryDate)
            // Re-checked here, under the association's lock. Other queued changes do not block the
            // worker: they are applied in turn (the gateway's pre-check reports them).
            if let facts = try AssociationStore.unlinkFacts(
                associationId: job.associationId, unitId: job.unitId, on: connection)
            {
                let reasons = UnlinkRules.reasons(facts)
                guard reasons.isEmpty else {
                    throw AssociationRefusal(.unlinkBlocked, "the employee cannot be unlinked now", reasons: reasons)
                }
            }
            try AssociationStore.unlink(associationId: job.associationId, unlink, on: connection)
            form = try Self.json(unlink)
        case .updatePosition(let update):
            try update.validate()
            try AssociationStore.updatePosition(associationId: job.associationId, update, on: connection)
            form = try Self.json(update)
        }
        try AssociationStore.recordTransition(
            associationId: job.associationId, jobId: job.jobId, action: job.action, from: locked.state, to: next,
            actor: job.actor, form: form, on: connection)
    }

    /// A request from the personal-edition portal: a new pending association, refused while the person
    /// has an open one with the unit.
    func request(_ job: AssociationDecisionJob, profile: PersonProfile, on connection: PostgresConnection) throws {
        let number = try profile.validate(today: today())
        // `validate` refused an invalid mobile number already.
        let mobile = profile.mobile.flatMap { try? MobileNumber(validating: $0) }
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
        try AssociationStore.recordTransition(
            associationId: job.associationId, jobId: job.jobId, action: .request, from: nil, to: next, actor: job.actor,
            form: try Self.json(["name": profile.name]), on: connection)
    }

    /// A form as the JSON kept in the association's history.
    static func json<Form: Encodable>(_ form: Form) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(form), as: UTF8.self)
    }
}
