import AMQPClient
import AttachmentInspection
import Foundation
import JobRuntime
import Logging
import TalentCore
import TalentStore

/// Validates an uploaded attachment (PRODUCT.md §2, §4) and records the verdict.
///
/// Steps: load the bytes (re-checking that the attachment belongs to the job's unit), inspect them in
/// a contained child process, then write the verdict together with the job's idempotency record. A
/// redelivery after the commit writes nothing; a redelivery before it repeats the inspection, which
/// has no effect outside the transaction.
public struct AttachmentValidationHandler: JobHandler {
    let attachments: AttachmentStore
    let jobs: JobStore
    let inspector: ContainedInspector
    let policy: AttachmentPolicy
    let logger: Logger

    public init(
        attachments: AttachmentStore, jobs: JobStore, inspector: ContainedInspector, policy: AttachmentPolicy,
        logger: Logger
    ) {
        self.attachments = attachments
        self.jobs = jobs
        self.inspector = inspector
        self.policy = policy
        self.logger = logger
    }

    public func decode(_ delivery: AMQPDelivery) throws(JobRejection) -> AttachmentValidationJob {
        try JobRejection.decoding(AttachmentValidationJob.self, from: delivery)
    }

    public func handle(_ job: AttachmentValidationJob) async throws {
        try await handleBatch([job])
    }

    /// Attachment verdicts batch well: inspection is per file, the writes share one transaction.
    public var maximumBatchSize: Int { 4 }

    /// Inspects each attachment, then writes every verdict with its job's idempotency record in one
    /// transaction. Jobs whose attachment is gone are closed without effect first.
    public func handleBatch(_ jobs: [AttachmentValidationJob]) async throws {
        var verdicts: [VerdictToRecord] = []
        for job in jobs {
            guard let content = try await attachments.content(attachmentId: job.attachmentId, unitId: job.unitId)
            else {
                _ = try await attachments.finishWithoutEffect(
                    jobId: job.jobId, unitId: job.unitId, code: "attachment_gone")
                logger.info("attachment gone; job closed without effect", metadata: ["jobId": "\(job.jobId)"])
                continue
            }
            let verdict = try await inspector.inspect(
                content.bytes,
                request: InspectionRequest(fileName: content.fileName, kind: content.kind, policy: policy))
            verdicts.append(
                VerdictToRecord(jobId: job.jobId, unitId: job.unitId, attachmentId: job.attachmentId, verdict: verdict))
        }
        guard !verdicts.isEmpty else { return }
        let writes = try await attachments.recordVerdicts(verdicts)
        for (entry, write) in zip(verdicts, writes) {
            logger.debug(
                "verdict",
                metadata: [
                    "jobId": "\(entry.jobId)", "outcome": "\(entry.verdict.outcome.rawValue)",
                    "reason": "\(entry.verdict.reason?.rawValue ?? "")", "write": "\(write)",
                ])
        }
    }

    public func deadLettered(jobId: UUID, rejection: JobRejection) async throws {
        try await jobs.markDeadLettered(id: jobId, code: rejection.code.rawValue, detail: rejection.detail)
    }
}
