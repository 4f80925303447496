import Foundation
import JobWorker
import PostgresClient
import TalentCore
import TalentStore

/// Applies eligibility jobs (manual §4, §7; PRODUCT.md §2, eligibility check): writes the reported
/// input (credit list, registration changes, business items) and recomputes the decisions of exactly
/// the units the job touches, all in the job's transaction, so a redelivered job changes nothing
/// twice and no decision is left behind its inputs.
public struct EligibilityHandler: JobHandler {
    /// Today's date in Beijing: qualification validity and filing periods are counted in its days.
    let today: @Sendable () -> CalendarDate

    public init(today: @escaping @Sendable () -> CalendarDate = { CalendarDate.today() }) {
        self.today = today
    }

    public func apply(_ job: Job<EligibilityJob>, prepared: Void, in transaction: PostgresConnection) throws
        -> JobOutcome
    {
        let message = job.message
        var code: String?
        switch message.action {
        case .creditList:
            try EligibilityStore.updateCreditList(
                added: (message.added ?? []).map(\.rawValue), removed: (message.removed ?? []).map(\.rawValue),
                reason: message.reason, by: message.actor, jobId: job.id, on: transaction)
        case .registrationChanges:
            try EligibilityStore.recordRegistrationChanges(
                message.changes ?? [], by: message.actor, jobId: job.id, on: transaction)
        case .businessItems:
            let items = message.items ?? []
            let changed = try BusinessItemStore.recordBusinessItems(
                items, by: message.actor, jobId: job.id, on: transaction)
            // Reports older than what is stored (or moving an item to another unit) change nothing.
            if changed < Set(items.map(\.reference)).count { code = "some_reports_ignored" }
        case .recompute:
            break
        }
        try EligibilityStore.recompute(units: message.touchedUnits.map(\.rawValue), today: today, on: transaction)
        return .succeeded(code: code)
    }
}
