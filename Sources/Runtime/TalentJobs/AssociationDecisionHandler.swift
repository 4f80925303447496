import AMQPClient
import Foundation
import JobRuntime
import Logging
import TalentCore
import TalentStore

/// Applies association decisions (PRODUCT.md §2 "association decision"; manual §5) through the state
/// machine: requests, approvals, rejections, unlinks, position updates.
///
/// Every write re-checks that the association belongs to the job's unit and is in the state the
/// action needs, under the association's row lock, so two conflicting decisions on one request
/// serialise and exactly one wins; the loser is refused with `not_pending`. A refusal is recorded on
/// the job (`failed`, with its code and detail) in the same transaction as the job's idempotency
/// record. Decisions batch: one transaction for up to 32 jobs.
public struct AssociationDecisionHandler: JobHandler {
    let associations: AssociationStore
    let jobs: JobStore
    let logger: Logger
    /// Today's date for identity-number checks (birth date not in the future), in Beijing time.
    let today: @Sendable () -> CalendarDate

    public init(
        associations: AssociationStore, jobs: JobStore, logger: Logger,
        today: @escaping @Sendable () -> CalendarDate = { CalendarDate.today() }
    ) {
        self.associations = associations
        self.jobs = jobs
        self.logger = logger
        self.today = today
    }

    public func decode(_ delivery: AMQPDelivery) throws(JobRejection) -> AssociationDecisionJob {
        try JobRejection.decoding(AssociationDecisionJob.self, from: delivery)
    }

    public func handle(_ job: AssociationDecisionJob) async throws {
        try await handleBatch([job])
    }

    public var maximumBatchSize: Int { 32 }

    public func handleBatch(_ batch: [AssociationDecisionJob]) async throws {
        let outcomes = try await associations.apply(batch, today: today())
        for (job, outcome) in zip(batch, outcomes) {
            switch outcome {
            case .refused(let refusal):
                logger.info(
                    "association decision refused",
                    metadata: [
                        "jobId": "\(job.jobId)", "action": "\(job.action.rawValue)", "code": "\(refusal.code.rawValue)",
                    ])
            case .unknownJob:
                logger.warning(
                    "association job unknown for its unit; nothing written", metadata: ["jobId": "\(job.jobId)"])
            case .applied, .alreadyProcessed:
                break
            }
        }
    }

    public func deadLettered(jobId: UUID, rejection: JobRejection) async throws {
        try await jobs.markDeadLettered(id: jobId, code: rejection.code.rawValue, detail: rejection.detail)
    }
}
