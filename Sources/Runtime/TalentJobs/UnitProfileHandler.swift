import Foundation
import JobWorker
import PostgresClient
import TalentCore
import TalentStore

/// Applies unit-profile jobs (manual §2, §6): profile submissions and handler maintenance.
///
/// Under the unit's row lock (one profile change of a unit at a time), the job's profile is checked
/// again with ``UnitProfileRules`` against the unit's attachments as they are now (one deleted or
/// rejected since the preview refuses the submission); a refusal is recorded on the job (`failed`,
/// `profile_incomplete` or `invalid_form`, with every problem) and writes nothing. An accepted job
/// makes the profile current and complete, records each changed field (who, when, before → after)
/// and removes the submitted draft steps, and recomputes the unit's restricted-service decisions — all
/// in the job's transaction, so a redelivery is a no-op.
public struct UnitProfileHandler: JobHandler {
    /// Today's date in Beijing, for establishment and validity dates.
    let today: @Sendable () -> CalendarDate

    public init(today: @escaping @Sendable () -> CalendarDate = { CalendarDate.today() }) {
        self.today = today
    }

    public func apply(_ job: Job<UnitProfileJob>, prepared: Void, in transaction: PostgresConnection) throws
        -> JobOutcome
    {
        do {
            try apply(job.message, on: transaction)
            return .succeeded()
        } catch let refusal as UnitProfileRefusal {
            return .refused(code: refusal.code.rawValue, detail: refusal.description)
        }
    }

    /// - Throws: ``UnitProfileRefusal`` before writing anything, or database errors.
    func apply(_ job: UnitProfileJob, on connection: PostgresConnection) throws {
        guard let unit = try UnitProfileStore.lock(unitId: job.unitId, on: connection) else {
            throw UnitProfileRefusal(.profileIncomplete, "the unit has no profile")
        }
        let today = today()
        let profile: UnitProfile
        switch job.action {
        case .submitProfile:
            guard let submitted = job.profile else {
                throw UnitProfileRefusal(.invalidForm, "the submission carries no profile")
            }
            // The submitted draft steps over the profile as it is now (under the lock): a handler
            // maintenance or another submission applied since the preview is kept, not overwritten by
            // an older copy.
            profile = (unit.current ?? UnitProfile()).overlaid(by: submitted)
        case .updateHandler:
            guard let handler = job.handler else {
                throw UnitProfileRefusal(.invalidForm, "the handler form is missing")
            }
            guard unit.status == .complete, var current = unit.current else {
                throw UnitProfileRefusal(
                    .profileIncomplete, "complete the profile first; the handler is its business_handler step")
            }
            let problems = UnitProfileRules(unitId: job.unitId, today: today).problems(of: handler)
            guard problems.isEmpty else {
                throw UnitProfileRefusal(
                    .invalidForm, "the handler form breaks a rule", problems: problems.map { $0.within("handler") })
            }
            current.businessHandler = handler
            profile = current
        }
        let ids = profile.attachments?.items.map(\.attachmentId) ?? []
        let rules = UnitProfileRules(
            unitId: job.unitId, today: today,
            attachments: try UnitProfileStore.attachmentFacts(unitId: job.unitId, ids: ids, on: connection))
        let problems = rules.problems(of: profile)
        guard problems.isEmpty else {
            throw UnitProfileRefusal(
                .profileIncomplete, "the profile cannot be accepted yet",
                problems: UnitProfileRules.flattened(problems))
        }
        let changes: [ProfileFieldChange]
        do {
            changes = try profile.changes(from: unit.current)
        } catch {
            throw UnitProfileRefusal(.invalidForm, "the profile holds a value JSON cannot carry")
        }
        try UnitProfileStore.apply(
            profile, changes: changes, submitted: job.submittedRevisions, unitId: job.unitId, jobId: job.jobId,
            actor: job.actor, submission: job.action == .submitProfile, on: connection)
        // The profile is an input of the eligibility rules (completeness, type, district,
        // qualifications, filing of registration changes): decided again in this transaction.
        try EligibilityStore.recompute(units: [job.unitId.rawValue], today: self.today, on: connection)
    }
}
