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

    /// A job by id alone, for a caller that holds the id from its own records (an idempotency key,
    /// which is scoped to its caller); never for an id from a request.
    public func job(id: UUID) async throws -> JobRecord? {
        try await pool.withConnection { connection in
            try connection.execute(prepared: "job_get_by_id", "SELECT \(Self.jobColumns) FROM jobs WHERE id = $1", [id])
                .first.map(Self.record)
        }
    }

    /// A job the service `submittedBy` (`service:<name>`) submitted, or `nil` (missing, or not its own).
    public func job(id: UUID, submittedBy: String) async throws -> JobRecord? {
        try await pool.withConnection { connection in
            try connection.execute(
                prepared: "job_get_by_submitter",
                "SELECT \(Self.jobColumns) FROM jobs WHERE id = $1 AND submitted_by = $2", [id, submittedBy]
            ).first.map(Self.record)
        }
    }

    /// Records who submitted these jobs (`service:<name>`), in the transaction that inserted them.
    public static func recordSubmitters(
        _ submitters: [(jobId: UUID, submittedBy: String)], on connection: PostgresConnection
    )
        throws
    {
        guard !submitters.isEmpty else { return }
        try connection.execute(
            prepared: "job_record_submitters",
            """
            UPDATE jobs SET submitted_by = s.submitted_by
            FROM unnest($1::uuid[], $2::text[]) AS s(id, submitted_by) WHERE jobs.id = s.id
            """, [submitters.map(\.jobId), submitters.map(\.submittedBy)])
    }

    /// The job of an envelope the caller just stored: the unit's when it has one, else by id alone
    /// (a job of the platform's own, whose id the caller made).
    public func job(of envelope: JobEnvelope) async throws -> JobRecord? {
        guard let unitId = envelope.unitId else { return try await job(id: envelope.jobId) }
        return try await job(id: envelope.jobId, unitId: unitId)
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

    /// A job as an operator sees it (`talentctl jobs show`): its record, unit, deliveries and
    /// republications, whatever unit it belongs to; `nil` when there is no such job.
    public func operatorView(id: UUID) async throws -> (
        record: JobRecord, unitId: String?, deliveries: Int, republished: Int
    )? {
        try await pool.withConnection { connection in
            let rows = try connection.query(
                "SELECT \(Self.jobColumns), unit_id, deliveries, republished FROM jobs WHERE id = $1", [id])
            guard let row = rows.first else { return nil }
            return (
                try Self.record(row), try row.string("unit_id"), try row.int("deliveries") ?? 0,
                try row.int("republished") ?? 0
            )
        }
    }

    /// Inserts a `queued` job with its message (the outbox row) in the caller's transaction, which
    /// also writes what the job is about; publish the message after the commit.
    /// - Throws: ``PostgresError``.
    public static func insert(_ message: JobEnvelope, subjectId: UUID?, on connection: PostgresConnection) throws
        -> JobRecord
    {
        try insert([(message, subjectId)], on: connection)[0]
    }

    /// Inserts many `queued` jobs with their messages in one statement, in the caller's transaction
    /// (the gateway's shared submissions, the benchmark's backlogs). Publish the messages after the
    /// commit.
    /// - Returns: the stored jobs, in the order given.
    /// - Throws: ``PostgresError``.
    @discardableResult
    public static func insert(_ messages: [(message: JobEnvelope, subjectId: UUID?)], on connection: PostgresConnection)
        throws -> [JobRecord]
    {
        guard !messages.isEmpty else { return [] }
        let rows = try connection.execute(
            prepared: "job_insert_outbox_batch",
            """
            INSERT INTO jobs (id, kind, unit_id, subject_id, message, schema_version)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::bytea[], $6::int[])
            RETURNING \(Self.jobColumns)
            """,
            [
                messages.map(\.message.jobId), messages.map(\.message.kind.rawValue),
                messages.map { $0.message.unitId?.rawValue }, messages.map(\.subjectId),
                messages.map { PostgresValue.bytes($0.message.body) }, messages.map(\.message.schemaVersion),
            ])
        var records: [UUID: JobRecord] = [:]
        for row in rows.rows {
            let record = try Self.record(row)
            records[record.id] = record
        }
        return try messages.map { entry in
            guard let record = records[entry.message.jobId] else {
                throw PostgresError(code: .unexpectedResult, message: "a stored job was not returned")
            }
            return record
        }
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

    /// Records that the broker confirmed these jobs' messages (one statement; a job a worker finished
    /// before the mark gets its finishing time: the broker had the message by then). Rows a worker's
    /// effect transaction holds are skipped, not waited for: that worker's finish records the
    /// publication (``finish(_:on:)``). The transaction does
    /// not wait for its WAL flush (`synchronous_commit = off`): a mark lost in a crash only makes the
    /// relay publish the job again, which the worker's idempotency record absorbs.
    public func markPublished(ids: [UUID]) async throws {
        guard !ids.isEmpty else { return }
        _ = try await pool.transaction { connection in
            try connection.query("SET LOCAL synchronous_commit = off")
            try connection.execute(
                prepared: "jobs_published",
                """
                UPDATE jobs SET published_at = LEAST(now(), COALESCE(finished_at, now()))
                WHERE id IN (
                    SELECT id FROM jobs WHERE id = ANY($1::uuid[]) AND published_at IS NULL
                    FOR UPDATE SKIP LOCKED)
                """,
                [ids])
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

    /// Per job kind, the age in whole seconds of the oldest job accepted and not yet done (`queued`:
    /// in a work or retry queue, or held by a worker), counted from its first publication (from its
    /// creation while unpublished); 0 for a kind with none. Feeds the gauge
    /// `talent_jobs_oldest_queued_age_seconds`. Each minimum is one step of the relay's partial indexes
    /// (`jobs_queued_published`, `jobs_unpublished`: kind first, migration 0008), whatever the size of
    /// `jobs` or another kind's backlog. A dead-lettered job replayed by an operator counts from its
    /// first publication.
    /// Per job kind, how many accepted jobs have waited longer than `seconds` (counted like
    /// ``oldestQueuedAges()``), counting at most `limit` (each count is one bounded index range of the
    /// relay's partial indexes, whatever the backlog).
    public func waitingLongerThan(seconds: Int, limit: Int) async throws -> [JobKind: Int] {
        try await pool.withConnection { connection in
            var counts: [JobKind: Int] = [:]
            for kind in JobKind.allCases {
                let rows = try connection.execute(
                    prepared: "jobs_waiting_longer_than",
                    """
                    SELECT (SELECT count(*) FROM (SELECT 1 FROM jobs WHERE status = 'queued' AND published_at IS NOT NULL
                              AND kind = $1 AND published_at < now() - make_interval(secs => $2) LIMIT $3) p)
                         + (SELECT count(*) FROM (SELECT 1 FROM jobs WHERE status = 'queued' AND published_at IS NULL
                              AND kind = $1 AND created_at < now() - make_interval(secs => $2) LIMIT $3) u) AS n
                    """, [kind.rawValue, seconds, limit])
                counts[kind] = min(try rows.first?.int("n") ?? 0, limit)
            }
            return counts
        }
    }

    public func oldestQueuedAges() async throws -> [JobKind: Int] {
        try await pool.withConnection { connection in
            let rows = try connection.query(
                """
                SELECT k.kind, COALESCE(extract(epoch FROM now() - LEAST(
                    (SELECT min(published_at) FROM jobs
                     WHERE status = 'queued' AND published_at IS NOT NULL AND kind = k.kind),
                    (SELECT min(created_at) FROM jobs
                     WHERE status = 'queued' AND published_at IS NULL AND kind = k.kind)))::bigint, 0) AS age
                FROM unnest($1::text[]) AS k(kind)
                """, [JobKind.allCases.map(\.rawValue)])
            var ages: [JobKind: Int] = [:]
            for row in rows.rows {
                if let kind = JobKind(rawValue: try row.requiredString("kind")) { ages[kind] = try row.int("age") ?? 0 }
            }
            return ages
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

    /// Records an operator's change to a parked message (`operator_actions`: who, when, what), before
    /// the change: `action` is `replay` or `discard`.
    public func recordOperatorAction(
        actor: String, action: String, kind: String, messageId: String, reason: String
    ) async throws {
        _ = try await pool.withConnection { connection in
            try connection.query(
                "INSERT INTO operator_actions (actor, action, kind, message_id, reason) VALUES ($1, $2, $3, $4, $5)",
                [actor, action, kind, messageId, reason])
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

    /// The stored message of a job row; `nil` for rows this version cannot publish (unknown kind or
    /// unit).
    static func envelope(_ row: PostgresRow) throws -> JobEnvelope? {
        let unitText = try row.string("unit_id")
        let unit = unitText.flatMap { try? UnifiedSocialCreditCode(validating: $0) }
        guard let id = try row.uuid("id"), let kind = JobKind(rawValue: try row.requiredString("kind")),
            unitText == nil || unit != nil, let version = try row.int("schema_version"),
            let body = try row.bytes("message")
        else { return nil }
        return JobEnvelope(kind: kind, jobId: id, unitId: unit, schemaVersion: version, body: body)
    }

    /// Whether a job's effect may be written now; see ``lockForEffect(_:on:)``.
    public enum EffectLock: Sendable {
        case apply
        case alreadyProcessed
        case unknownJob
    }

    /// Locks the batch's job rows (`FOR UPDATE`, in id order, one statement) inside the effect's
    /// transaction, so two deliveries of one job serialise and the second finds it done, and batches
    /// that share a job (a redelivery next to a republication) cannot deadlock on job rows. A job the
    /// relay closed as `never_completed` whose message arrives after all is applied: it was accepted,
    /// its effect must land. A job of another unit than the message says is unknown.
    /// - Returns: for each job given, in order, whether to apply it (a copy naming another unit than
    ///   the row's is unknown, whatever other copies of the id say).
    public static func lockForEffect(
        _ jobs: [(id: UUID, unitId: UnifiedSocialCreditCode?)], on connection: PostgresConnection
    ) throws -> [EffectLock] {
        let rows = try connection.execute(
            prepared: "job_lock_effects",
            """
            SELECT id, unit_id, status, error_code FROM jobs WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
            """, [jobs.map(\.id)])
        var found: [UUID: (unit: String?, lock: EffectLock)] = [:]
        for row in rows.rows {
            let status = try row.requiredString("status")
            let lock: EffectLock
            if status == JobStatus.queued.rawValue {
                lock = .apply
            } else if status == JobStatus.deadLettered.rawValue, try row.string("error_code") == "never_completed" {
                lock = .apply
            } else {
                lock = .alreadyProcessed
            }
            found[try row.requiredUUID("id")] = (try row.string("unit_id"), lock)
        }
        return jobs.map { job in
            guard let row = found[job.id], row.unit == job.unitId?.rawValue else { return .unknownJob }
            return row.lock
        }
    }

    /// A job's closing record: `status` `succeeded` or `failed`; `code` and `detail` say why (a
    /// refusal, or how it succeeded, e.g. `attachment_gone`).
    public struct Finish: Sendable {
        public var jobId: UUID
        public var status: JobStatus
        public var code: String?
        public var detail: String?

        public init(jobId: UUID, status: JobStatus, code: String?, detail: String?) {
            self.jobId = jobId
            self.status = status
            self.code = code
            self.detail = detail
        }
    }

    /// Closes jobs whose effects (or refusals) were just written, in the same transaction and in one
    /// statement: this status change is each job's idempotency record. A job whose publication mark
    /// was not written yet gets it now (its message was delivered, so it was published).
    public static func finish(_ finishes: [Finish], on connection: PostgresConnection) throws {
        guard !finishes.isEmpty else { return }
        try connection.execute(
            prepared: "job_finish_batch",
            """
            UPDATE jobs SET status = f.status, error_code = f.code, error_detail = f.detail,
                finished_at = now(), deliveries = deliveries + 1, published_at = COALESCE(published_at, now())
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS f(id, status, code, detail)
            WHERE jobs.id = f.id
            """,
            [
                finishes.map(\.jobId), finishes.map(\.status.rawValue), finishes.map(\.code),
                finishes.map(\.detail),
            ])
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
        id, kind, status, subject_id, error_code, error_detail, \(PostgresTimestamp.rfc3339("created_at")),
        \(PostgresTimestamp.rfc3339("published_at")), \(PostgresTimestamp.rfc3339("finished_at"))
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
