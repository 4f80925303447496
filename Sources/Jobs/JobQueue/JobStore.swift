import Foundation
import PostgresClient
import TalentCore

/// All SQL on job records (the `jobs` table, which is also the outbox): the producer's insert inside
/// the caller's transaction and its publication marks, the consumer's locks and outcomes (the job's
/// idempotency record), dead letters, the relay's backlog, and status reads.
///
/// Functions taking a `PostgresConnection` run inside the caller's open transaction; the others open
/// their own.
public struct JobStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The unit's job, or `nil` when it does not exist or belongs to another unit.
    public func job(id: UUID, unitId: UnifiedSocialCreditCode) async throws -> JobRecord? {
        try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "job_get", "SELECT \(Self.jobColumns) FROM jobs WHERE id = $1 AND unit_id = $2",
                [id, unitId.rawValue])
            return try rows.first.map(Self.record)
        }
    }

    /// Inserts a `queued` job with its message (the outbox row) in the caller's transaction, which
    /// also writes what the job is about; publish the message after the commit.
    /// - Throws: ``PostgresError``.
    public static func insert(_ message: JobEnvelope, subjectId: UUID?, on connection: PostgresConnection) throws
        -> JobRecord
    {
        let rows = try connection.execute(
            prepared: "job_insert_outbox",
            """
            INSERT INTO jobs (id, kind, unit_id, subject_id, message, schema_version)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING \(Self.jobColumns)
            """,
            [
                message.jobId, message.kind.rawValue, message.unitId.rawValue, subjectId,
                PostgresValue.bytes(message.body), message.schemaVersion,
            ])
        return try Self.record(try rows.first.orThrow())
    }

    /// Locks the job row and deletes it (with an unanswered idempotency key naming it, so a retry with
    /// the same key may try again) when it is still `queued`. The lock serialises this with the
    /// worker's effect transaction. - Returns: whether it was deleted (`false`: a worker processed it,
    /// answer as accepted).
    public static func discardQueued(_ id: UUID, on connection: PostgresConnection) throws -> Bool {
        let job = try connection.query("SELECT status FROM jobs WHERE id = $1 FOR UPDATE", [id])
        guard let status = try job.first?.string("status"), status == JobStatus.queued.rawValue else {
            return false
        }
        try connection.query("DELETE FROM idempotency_keys WHERE job_id = $1 AND response_status IS NULL", [id])
        try connection.query("DELETE FROM jobs WHERE id = $1", [id])
        return true
    }

    /// Records that the broker confirmed the job's message.
    public func markPublished(id: UUID) async throws {
        _ = try await pool.withConnection { connection in
            try connection.execute(
                prepared: "job_published",
                "UPDATE jobs SET published_at = now() WHERE id = $1 AND published_at IS NULL",
                [id])
        }
    }

    /// Closes a job whose message could not be processed (malformed, unknown version, …), unless its
    /// effect was already committed.
    public func markDeadLettered(id: UUID, code: String, detail: String) async throws {
        _ = try await pool.withConnection { connection in
            try connection.query(
                """
                UPDATE jobs SET status = 'dead_lettered', error_code = $2, error_detail = $3, finished_at = now()
                WHERE id = $1 AND status = 'queued'
                """, [id, code, detail])
        }
    }

    /// Queued jobs whose publication was never confirmed and that are older than `olderThanSeconds`
    /// (the gateway that accepted them stopped between commit and confirm), as stored in the outbox.
    public func unpublished(olderThanSeconds: Int, limit: Int) async throws -> [JobEnvelope] {
        try await pool.withConnection { connection in
            let rows = try connection.query(
                """
                SELECT \(Self.envelopeColumns) FROM jobs
                WHERE published_at IS NULL AND status = 'queued' AND message IS NOT NULL
                  AND created_at < now() - make_interval(secs => $1)
                ORDER BY created_at LIMIT $2
                """, [olderThanSeconds, limit], results: .binary)
            return try rows.rows.compactMap(Self.envelope)
        }
    }

    /// Queued jobs of `kind` published more than `olderThanSeconds` ago (counting from the last
    /// republication) and republished fewer than `maxRepublications` times, oldest first.
    public func stale(kind: JobKind, olderThanSeconds: Int, maxRepublications: Int, limit: Int) async throws
        -> [JobEnvelope]
    {
        try await pool.withConnection { connection in
            let rows = try connection.query(
                """
                SELECT \(Self.envelopeColumns) FROM jobs
                WHERE status = 'queued' AND published_at IS NOT NULL AND message IS NOT NULL AND kind = $1
                  AND COALESCE(last_published_at, published_at) < now() - make_interval(secs => $2)
                  AND republished < $3
                ORDER BY published_at LIMIT $4
                """, [kind.rawValue, olderThanSeconds, maxRepublications, limit], results: .binary)
            return try rows.rows.compactMap(Self.envelope)
        }
    }

    /// Reopens a dead-lettered job (`dead_lettered` → `queued`) before its message is replayed; the
    /// relay's republication count starts again.
    public func reopen(id: UUID) async throws {
        _ = try await pool.withConnection { connection in
            try connection.query(
                """
                UPDATE jobs SET status = 'queued', error_code = NULL, error_detail = NULL, finished_at = NULL,
                    republished = 0, last_published_at = now()
                WHERE id = $1 AND status = 'dead_lettered'
                """, [id])
        }
    }

    /// Records a republication (before publishing, so a crash cannot republish without counting).
    public func markRepublished(id: UUID) async throws {
        _ = try await pool.withConnection { connection in
            try connection.query(
                "UPDATE jobs SET republished = republished + 1, last_published_at = now() WHERE id = $1", [id])
        }
    }

    /// Closes stale jobs of `kind` that were republished `maxRepublications` times without an effect
    /// as `dead_lettered` with code `never_completed`. - Returns: how many.
    public func abandonStale(kind: JobKind, olderThanSeconds: Int, maxRepublications: Int) async throws -> Int {
        try await pool.withConnection { connection in
            try connection.query(
                """
                UPDATE jobs SET status = 'dead_lettered', error_code = 'never_completed',
                    error_detail = 'republished ' || republished || ' times without completing; see the parking queue',
                    finished_at = now()
                WHERE status = 'queued' AND published_at IS NOT NULL AND kind = $1
                  AND COALESCE(last_published_at, published_at) < now() - make_interval(secs => $2)
                  AND republished >= $3
                """, [kind.rawValue, olderThanSeconds, maxRepublications]
            ).affectedRows
        }
    }

    static let envelopeColumns = "id, kind, unit_id, schema_version, message"

    /// The stored message of a job row; `nil` for rows this version cannot publish (unknown kind or unit).
    static func envelope(_ row: PostgresRow) throws -> JobEnvelope? {
        guard let id = try row.uuid("id"), let kind = JobKind(rawValue: try row.requiredString("kind")),
            let unit = try? UnifiedSocialCreditCode(validating: try row.requiredString("unit_id")),
            let version = try row.int("schema_version"), let body = try row.bytes("message")
        else { return nil }
        return JobEnvelope(kind: kind, jobId: id, unitId: unit, schemaVersion: version, body: body)
    }

    /// Whether a job's effect may be written now; see ``lockForEffect(jobId:unitId:on:)``.
    public enum EffectLock: Sendable {
        case apply
        case alreadyProcessed
        case unknownJob
    }

    /// Locks the job row (`FOR UPDATE`) inside the effect's transaction, so two deliveries of one job
    /// serialise and the second finds it done. A job the relay closed as `never_completed` whose message
    /// arrives after all is applied: it was accepted, its effect must land.
    public static func lockForEffect(jobId: UUID, unitId: UnifiedSocialCreditCode, on connection: PostgresConnection)
        throws -> EffectLock
    {
        let rows = try connection.execute(
            prepared: "job_lock_effect",
            "SELECT status, error_code FROM jobs WHERE id = $1 AND unit_id = $2 FOR UPDATE",
            [jobId, unitId.rawValue])
        guard let row = rows.first, let status = try row.string("status") else { return .unknownJob }
        if status == JobStatus.queued.rawValue { return .apply }
        if status == JobStatus.deadLettered.rawValue, try row.string("error_code") == "never_completed" {
            return .apply
        }
        return .alreadyProcessed
    }

    /// Locks the job rows of a batch in id order before anything else, so batches that share a job
    /// (a redelivery next to a republication) cannot deadlock on job rows.
    public static func lockBatch(_ ids: [UUID], on connection: PostgresConnection) throws {
        guard ids.count > 1 else { return }
        let list = "{" + ids.map { $0.uuidString.lowercased() }.sorted().joined(separator: ",") + "}"
        _ = try connection.execute(
            prepared: "job_lock_batch", "SELECT id FROM jobs WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
            [list])
    }

    /// Closes a job whose effect (or refusal) was just written, in the same transaction: this status
    /// change is the job's idempotency record.
    /// - Parameters: `status` `succeeded` or `failed`; `code` and `detail` say why (a refusal, or how it
    ///   succeeded, e.g. `attachment_gone`).
    public static func finish(
        jobId: UUID, status: JobStatus, code: String?, detail: String?, on connection: PostgresConnection
    ) throws {
        try connection.execute(
            prepared: "job_finish",
            """
            UPDATE jobs SET status = $2, error_code = $3, error_detail = $4, finished_at = now(),
                deliveries = deliveries + 1
            WHERE id = $1
            """, [jobId, status.rawValue, code, detail])
    }

    /// Jobs of `kind` about `subjectId` still queued (changes in progress), other than `excluding`.
    public static func queuedCount(
        kind: JobKind, subjectId: UUID, excluding: UUID?, on connection: PostgresConnection
    ) throws -> Int {
        let rows = try connection.execute(
            prepared: "job_queued_for_subject",
            """
            SELECT count(*) AS n FROM jobs
            WHERE subject_id = $1 AND kind = $2 AND status = 'queued' AND ($3::uuid IS NULL OR id <> $3)
            """, [subjectId, kind.rawValue, excluding])
        return try rows.first?.int("n") ?? 0
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

    static let jobColumns = """
        id, kind, status, subject_id, error_code, error_detail, to_json(created_at)#>>'{}' AS created_at,
        to_json(published_at)#>>'{}' AS published_at, to_json(finished_at)#>>'{}' AS finished_at
        """

    /// A job row as its record. - Throws: ``PostgresError`` `unexpected_result` for an unknown status.
    static func record(_ row: PostgresRow) throws -> JobRecord {
        let status = try row.required("status", as: JobStatus.self)
        return JobRecord(
            id: try row.requiredUUID("id"),
            kind: try row.requiredString("kind"),
            status: status,
            subjectId: try row.uuid("subject_id"),
            errorCode: try row.string("error_code"),
            // Only refusals carry client-facing words; other details may name internals.
            errorDetail: status == .failed ? try row.string("error_detail") : nil,
            createdAt: try row.requiredString("created_at"),
            publishedAt: try row.string("published_at"),
            finishedAt: try row.string("finished_at"))
    }
}
