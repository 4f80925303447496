import Foundation
import Logging
import TalentCore
import TalentStore

/// Republishes jobs whose publication was never confirmed (a gateway stopped between its commit
/// and the broker's confirm), so that a committed job is never stranded. Runs in every gateway.
public struct JobRelay: Sendable {
    let jobs: JobStore
    let publisher: JobPublisher
    let afterSeconds: Int
    let logger: Logger

    public init(jobs: JobStore, publisher: JobPublisher, afterSeconds: Int, logger: Logger) {
        self.jobs = jobs
        self.publisher = publisher
        self.afterSeconds = afterSeconds
        self.logger = logger
    }

    /// Loops until cancelled, checking every `afterSeconds / 2` seconds.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .seconds(max(afterSeconds / 2, 1)))
            } catch {
                return  // cancelled: no pass during shutdown
            }
            await relayOnce()
        }
    }

    /// One pass; returns how many jobs it republished.
    @discardableResult
    public func relayOnce() async -> Int {
        do {
            var count = 0
            for (job, unit) in try await jobs.unpublished(olderThanSeconds: afterSeconds, limit: 500) {
                guard let unitId = try? UnifiedSocialCreditCode(validating: unit), let subject = job.subjectId,
                    job.kind == JobKind.attachmentValidation.rawValue
                else { continue }
                do {
                    try await publisher.publish(
                        AttachmentValidationJob(
                            jobId: job.id, unitId: unitId, attachmentId: subject, requestedAt: Date()))
                    count += 1
                } catch {
                    // The broker is unavailable or blocking: stop this pass, the next one retries.
                    logger.warning("relay publish failed", metadata: ["jobId": "\(job.id)", "error": "\(error)"])
                    break
                }
            }
            if count > 0 { logger.info("relayed unconfirmed jobs", metadata: ["count": "\(count)"]) }
            return count
        } catch {
            logger.warning("relay pass failed", metadata: ["error": "\(error)"])
            return 0
        }
    }
}
