import AttachmentInspection
import Foundation
import JobWorker
import Logging
import PostgresClient
import TalentCore
import TalentStore

/// Validates an uploaded attachment (PRODUCT.md §2, §4) and records the verdict.
///
/// Before the transaction: load the bytes (re-checking that the attachment belongs to the job's
/// unit) and inspect them in a contained child process. In it: write the verdict and its effect-log
/// row; the runtime records the job's outcome beside them. A redelivery after the commit writes
/// nothing; one before it repeats the inspection, which has no effect outside the transaction.
public struct AttachmentValidationHandler: JobHandler {
    /// What the inspection found, or that there is nothing to inspect.
    public enum Prepared: Sendable {
        case verdict(AttachmentVerdict)
        /// The attachment is deleted or not the unit's: the job closes without effect.
        case gone
    }

    let attachments: AttachmentStore
    let inspector: ContainedInspector
    let policy: AttachmentPolicy
    let logger: Logger

    public init(attachments: AttachmentStore, inspector: ContainedInspector, policy: AttachmentPolicy, logger: Logger) {
        self.attachments = attachments
        self.inspector = inspector
        self.policy = policy
        self.logger = logger
    }

    /// Attachment verdicts batch well: inspection is per file, the writes share one transaction.
    public var maximumBatchSize: Int { 4 }

    /// A batch's files are inspected at once (each in its own child process).
    public var preparesConcurrently: Bool { true }

    public func prepare(_ job: Job<AttachmentValidationJob>) async throws -> Prepared {
        guard let content = try await attachments.content(attachmentId: job.message.attachmentId, unitId: job.unitId)
        else { return .gone }
        return .verdict(
            try await inspector.inspect(
                content.bytes,
                request: InspectionRequest(fileName: content.fileName, kind: content.kind, policy: policy)
            ))
    }

    public func apply(_ job: Job<AttachmentValidationJob>, prepared: Prepared, in transaction: PostgresConnection)
        throws -> JobOutcome
    {
        guard case .verdict(let verdict) = prepared,
            try AttachmentStore.recordVerdict(
                jobId: job.id, unitId: job.unitId, attachmentId: job.message.attachmentId, verdict: verdict,
                on: transaction)
        else {
            logger.info("attachment gone; job closed without effect", metadata: ["jobId": "\(job.id)"])
            return .succeeded(code: "attachment_gone")
        }
        logger.debug(
            "verdict",
            metadata: [
                "jobId": "\(job.id)", "outcome": "\(verdict.outcome.rawValue)",
                "reason": "\(verdict.reason?.rawValue ?? "")",
            ])
        return .succeeded()
    }
}
