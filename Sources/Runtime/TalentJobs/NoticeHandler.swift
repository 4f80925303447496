import Foundation
import JobWorker
import Logging
import PostgresClient
import TalentCore
import TalentStore

/// Applies notice jobs (manual §3; PRODUCT.md §2, notice fan-out): publications with their fan-out,
/// withdrawals, and units' read marks.
///
/// A publication's effect is too large for one transaction (up to every unit), so ``prepare(_:)``
/// writes it in resumable steps (``StagedEffect``), each its own transaction: the job's row is locked
/// and found still to do (a job the gateway discarded writes nothing), then one
/// `INSERT … SELECT` writes a chunk of the unit-id range and advances the notice's cursor
/// (``NoticeStore/fanOutChunk(publicId:chunkSize:on:)``). A job killed between chunks is redelivered
/// and resumes after the last committed chunk: no inbox row is written twice or lost. The job's own
/// transaction then marks the fan-out complete and records the outcome. Withdrawals and read marks
/// are ordinary one-transaction effects.
public struct NoticeHandler: JobHandler {
    let pool: PostgresPool
    let chunkSize: Int
    let logger: Logger

    /// - Parameter chunkSize: units per fan-out chunk (``NoticeStore/defaultChunkSize``).
    public init(pool: PostgresPool, chunkSize: Int = NoticeStore.defaultChunkSize, logger: Logger) {
        self.pool = pool
        self.chunkSize = max(1, chunkSize)
        self.logger = logger
    }

    public func prepare(_ job: Job<NoticeJob>) async throws {
        guard job.message.action == .publish, let noticeId = job.message.noticeId else { return }
        var written = 0
        var chunks = 0
        let started = ContinuousClock.now
        while true {
            let step = try await StagedEffect.step(of: job, pool: pool) { [chunkSize] connection in
                try NoticeStore.fanOutChunk(publicId: noticeId, chunkSize: chunkSize, on: connection)
            }
            guard let step, let chunk = step else { break }
            written += chunk.written
            chunks += 1
            if chunk.scanned < chunkSize { break }
        }
        if chunks > 0 {
            logger.info(
                "notice fanned out",
                metadata: [
                    "jobId": "\(job.id)", "chunks": "\(chunks)", "rowsWritten": "\(written)",
                    "seconds": "\(started.duration(to: .now))",
                ])
        }
    }

    public func apply(_ job: Job<NoticeJob>, prepared: Void, in transaction: PostgresConnection) throws -> JobOutcome {
        let message = job.message
        switch message.action {
        case .publish:
            guard let noticeId = message.noticeId, try NoticeStore.completeFanOut(publicId: noticeId, on: transaction)
            else {
                return .refused(code: "notice_not_found", detail: "no notice \(message.noticeId?.uuidString ?? "-")")
            }
            return .succeeded()
        case .withdraw:
            guard let noticeId = message.noticeId else {
                return .refused(code: "invalid_form", detail: "noticeId: is required")
            }
            switch try NoticeStore.withdraw(publicId: noticeId, by: message.actor, on: transaction) {
            case .withdrawn: return .succeeded()
            case .alreadyWithdrawn: return .succeeded(code: "already_withdrawn")
            case .notFound: return .refused(code: "notice_not_found", detail: "no notice \(noticeId)")
            }
        case .markRead:
            guard let unitId = message.unitId else {
                return .refused(code: "invalid_form", detail: "unitId: is required for read marks")
            }
            try NoticeStore.markRead(
                unitId: unitId, noticeIds: message.noticeIds ?? [], upTo: message.readAllUpTo,
                promptIds: message.promptIds ?? [], on: transaction)
            return .succeeded()
        }
    }
}
