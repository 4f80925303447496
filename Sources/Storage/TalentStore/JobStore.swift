import Foundation
import PostgresClient
import TalentCore

/// SQL for job records: status reads, publication marks, dead letters, the relay's backlog.
public struct JobStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The unit's job, or `nil` when it does not exist or belongs to another unit.
    public func job(id: UUID, unitId: UnifiedSocialCreditCode) async throws -> JobRecord? {
        try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "job_get", "SELECT \(RowDecoding.jobColumns) FROM jobs WHERE id = $1 AND unit_id = $2",
                [id, unitId.rawValue])
            return try rows.first.map(RowDecoding.job)
        }
    }

    /// Records that the broker confirmed the job's message.
    public func markPublished(id: UUID) async throws {
        try await pool.withConnection { connection in
            try connection.execute(
                prepared: "job_published",
                "UPDATE jobs SET published_at = now() WHERE id = $1 AND published_at IS NULL",
                [id])
        }
    }

    /// Closes a job whose message could not be processed (malformed, unknown version, …), unless its
    /// effect was already committed.
    public func markDeadLettered(id: UUID, code: String, detail: String) async throws {
        try await pool.withConnection { connection in
            try connection.query(
                """
                UPDATE jobs SET status = 'dead_lettered', error_code = $2, error_detail = $3, finished_at = now()
                WHERE id = $1 AND status = 'queued'
                """, [id, code, detail])
        }
    }

    /// Queued jobs whose publication was never confirmed and that are older than `olderThanSeconds`
    /// (the gateway that accepted them stopped between commit and confirm). Publishing one twice is
    /// harmless: the worker's idempotency record makes the second delivery a no-op.
    public func unpublished(olderThanSeconds: Int, limit: Int) async throws -> [(JobRecord, String)] {
        try await pool.withConnection { connection in
            let rows = try connection.query(
                """
                SELECT \(RowDecoding.jobColumns), unit_id FROM jobs
                WHERE published_at IS NULL AND status = 'queued'
                  AND created_at < now() - make_interval(secs => $1)
                ORDER BY created_at LIMIT $2
                """, [olderThanSeconds, limit])
            return try rows.rows.map { (try RowDecoding.job($0), try $0.requiredString("unit_id")) }
        }
    }

    /// Counts of jobs by status (for operators and tests).
    public func countsByStatus() async throws -> [String: Int] {
        try await pool.withConnection { connection in
            let rows = try connection.query("SELECT status, count(*) AS n FROM jobs GROUP BY status")
            var counts: [String: Int] = [:]
            for row in rows.rows { counts[try row.requiredString("status")] = try row.int("n") ?? 0 }
            return counts
        }
    }
}
