import Foundation
import PostgresClient
import TalentAPI
import TalentCore

/// SQL for policy notices (政策法规通知), unit inboxes and the read marks of system prompts (manual §3).
///
/// A notice is created by its publication job and fanned out to its audience in chunks over the
/// unit-id range (``fanOutChunk(publicId:chunkSize:on:)``): one `INSERT … SELECT` per chunk, its own
/// transaction, which also advances the notice's cursor and recipient count; rows already there are
/// skipped, so a chunk repeated after a crash writes nothing twice.
public struct NoticeStore: Sendable {
    /// The advisory lock a notice's creation takes exclusively and a unit's creation shares (trigger
    /// `units_receive_notices`, migration 0013): a unit created concurrently with a notice to every
    /// unit gets it from one side or the other.
    public static let publicationLockKey: Int64 = 7_301_001

    /// Chunk size of a fan-out, in units scanned per transaction.
    public static let defaultChunkSize = 50_000

    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    // MARK: The publication (gateway, in the accepting transaction)

    /// Stores a notice to publish, under the publication lock, in the caller's transaction (the one
    /// that stores its publication job, whose id is `publicId`).
    /// - Throws: ``PostgresError``.
    public static func insert(
        _ notice: PolicyNotice, publicId: UUID, createdBy: String, on connection: PostgresConnection
    )
        throws
    {
        try connection.execute(
            prepared: "notice_publication_lock", "SELECT pg_advisory_xact_lock($1)", [publicationLockKey])
        try connection.execute(
            prepared: "notice_insert",
            """
            INSERT INTO notices (public_id, title, summary, document_url, published_at, audience_unit_types,
                                 audience_districts, created_by)
            VALUES ($1, $2, $3, $4, $5, $6::text[], $7::text[], $8)
            """,
            [
                publicId, notice.title, notice.summary, notice.documentUrl, notice.publishedAt,
                notice.audience.unitTypes?.map(\.rawValue), notice.audience.districts, createdBy,
            ])
    }

    /// Removes a notice whose publication job was never published (the gateway answers 503 and the
    /// caller retries), with any inbox rows a stray delivery wrote, in the discarding transaction.
    public static func deleteUnpublished(publicId: UUID, on connection: PostgresConnection) throws {
        try connection.execute(
            prepared: "notice_delete_unpublished",
            """
            WITH gone AS (DELETE FROM notices WHERE public_id = $1 RETURNING id)
            DELETE FROM notice_inbox WHERE notice_id IN (SELECT id FROM gone)
            """, [publicId])
    }

    // MARK: Effects (notice worker)

    /// What one fan-out chunk did.
    public struct FanOutChunk: Sendable, Hashable {
        /// Units of the range looked at (fewer than the chunk size: the range is exhausted).
        public var scanned: Int
        /// Inbox rows written (units of the audience not reached before).
        public var written: Int
    }

    /// Writes the next chunk of notice `publicId`'s fan-out as one statement, in the caller's
    /// transaction: the next `chunkSize` units after the cursor, the inbox rows of those in the
    /// audience, the cursor and recipient count advanced.
    /// - Returns: `nil` when there is nothing left to do: every unit covered, or the notice withdrawn,
    ///   already fanned out, or missing.
    /// - Throws: ``PostgresError``.
    public static func fanOutChunk(publicId: UUID, chunkSize: Int, on connection: PostgresConnection) throws
        -> FanOutChunk?
    {
        let rows = try connection.execute(
            prepared: "notice_fan_out_chunk",
            """
            WITH notice AS (
                SELECT id, fanout_cursor, audience_unit_types, audience_districts FROM notices
                WHERE public_id = $1 AND withdrawn_at IS NULL AND fanout_completed_at IS NULL FOR UPDATE
            ), chunk AS (
                SELECT u.id, u.unit_type, u.district FROM units u, notice n
                WHERE u.id > n.fanout_cursor ORDER BY u.id LIMIT $2
            ), written AS (
                INSERT INTO notice_inbox (unit_id, notice_id)
                SELECT c.id, n.id FROM chunk c, notice n
                WHERE (n.audience_unit_types IS NULL OR c.unit_type = ANY (n.audience_unit_types))
                  AND (n.audience_districts IS NULL OR c.district = ANY (n.audience_districts))
                ON CONFLICT DO NOTHING
                RETURNING 1
            ), counts AS (
                SELECT (SELECT count(*) FROM chunk) AS scanned, (SELECT count(*) FROM written) AS written,
                       (SELECT max(id) FROM chunk) AS last_id
            )
            UPDATE notices SET fanout_cursor = COALESCE(counts.last_id, notices.fanout_cursor),
                               recipients = recipients + counts.written, fanout_chunks = fanout_chunks + 1
            FROM counts, notice WHERE notices.id = notice.id AND counts.scanned > 0
            RETURNING counts.scanned, counts.written
            """, [publicId, chunkSize])
        guard let row = rows.first else { return nil }
        return FanOutChunk(scanned: try row.int("scanned") ?? 0, written: try row.int("written") ?? 0)
    }

    /// Marks notice `publicId`'s fan-out complete, in the job's transaction.
    /// - Returns: whether the notice exists.
    public static func completeFanOut(publicId: UUID, on connection: PostgresConnection) throws -> Bool {
        let rows = try connection.execute(
            prepared: "notice_fan_out_complete",
            """
            UPDATE notices SET fanout_completed_at = COALESCE(fanout_completed_at, now())
            WHERE public_id = $1 RETURNING id
            """, [publicId])
        return !rows.rows.isEmpty
    }

    /// What a withdrawal found.
    public enum Withdrawal: Sendable, Hashable {
        case withdrawn
        case alreadyWithdrawn
        case notFound
    }

    /// Withdraws notice `publicId` (it disappears from every inbox; its rows stay, for the record),
    /// in the job's transaction. - Throws: ``PostgresError``.
    public static func withdraw(publicId: UUID, by actor: String, on connection: PostgresConnection) throws
        -> Withdrawal
    {
        let rows = try connection.execute(
            prepared: "notice_withdraw",
            """
            WITH target AS (SELECT id, withdrawn_at FROM notices WHERE public_id = $1 FOR UPDATE),
            updated AS (
                UPDATE notices SET withdrawn_at = now(), withdrawn_by = $2
                FROM target WHERE notices.id = target.id AND target.withdrawn_at IS NULL RETURNING notices.id
            )
            SELECT (SELECT count(*) FROM target) AS found, (SELECT count(*) FROM updated) AS withdrawn
            """, [publicId, actor])
        let row = try rows.first.orThrow()
        if try row.int("withdrawn") == 1 { return .withdrawn }
        return try row.int("found") == 1 ? .alreadyWithdrawn : .notFound
    }

    /// Records unit `unitId`'s read marks, in the job's transaction: notices `noticeIds` and every
    /// notice of its inbox up to position `upTo`, and prompts `promptIds`. Marks already there keep
    /// their first time. - Throws: ``PostgresError``.
    public static func markRead(
        unitId: UnifiedSocialCreditCode, noticeIds: [UUID], upTo: Int64?, promptIds: [String],
        on connection: PostgresConnection
    ) throws {
        if !noticeIds.isEmpty || upTo != nil {
            try connection.execute(
                prepared: "notice_mark_read",
                """
                UPDATE notice_inbox i SET read_at = now()
                WHERE i.unit_id = $1 AND i.read_at IS NULL
                  AND (i.notice_id <= $3 OR i.notice_id IN (SELECT id FROM notices WHERE public_id = ANY ($2::uuid[])))
                """, [unitId.rawValue, noticeIds, upTo])
        }
        if !promptIds.isEmpty {
            try connection.execute(
                prepared: "prompt_mark_read",
                """
                INSERT INTO system_prompt_reads (unit_id, prompt_id)
                SELECT $1, p FROM unnest($2::text[]) AS p ON CONFLICT DO NOTHING
                """, [unitId.rawValue, promptIds])
        }
    }

    // MARK: Reads (gateway)

    static let noticeColumns = """
        n.public_id, n.title, n.summary, n.document_url, \(PostgresTimestamp.rfc3339("n.published_at")),
        array_to_string(n.audience_unit_types, ',') AS unit_types, array_to_string(n.audience_districts, ',') AS districts,
        n.created_by, \(PostgresTimestamp.rfc3339("n.created_at")), n.recipients, n.fanout_chunks,
        \(PostgresTimestamp.rfc3339("n.fanout_completed_at")), \(PostgresTimestamp.rfc3339("n.withdrawn_at"))
        """

    /// Notice `publicId` with its fan-out's progress; `nil` until its publication job created it.
    public func notice(publicId: UUID) async throws -> NoticeRecord? {
        try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "notice_read", "SELECT \(Self.noticeColumns) FROM notices n WHERE n.public_id = $1",
                [publicId])
            guard let row = rows.first else { return nil }
            let unitTypes = try row.string("unit_types").map {
                $0.split(separator: ",").compactMap { UnitType(rawValue: String($0)) }
            }
            let districts = try row.string("districts").map { $0.split(separator: ",").map(String.init) }
            return NoticeRecord(
                id: try row.requiredUUID("public_id"), title: try row.requiredString("title"),
                summary: try row.requiredString("summary"), documentUrl: try row.requiredString("document_url"),
                publishedAt: try row.requiredString("published_at"),
                audience: NoticeAudience(unitTypes: unitTypes, districts: districts),
                createdBy: try row.requiredString("created_by"), createdAt: try row.requiredString("created_at"),
                fanOut: .init(
                    recipients: try row.int("recipients") ?? 0, chunks: try row.int("fanout_chunks") ?? 0,
                    completedAt: try row.string("fanout_completed_at")),
                withdrawnAt: try row.string("withdrawn_at"))
        }
    }

    /// Notice `publicId`'s reach now: the units its audience holds (units created since included) and
    /// the inbox rows it has (the fan-out's and those of units created later). Equal once it reached
    /// every unit.
    public func reach(publicId: UUID) async throws -> (audience: Int, delivered: Int) {
        try await pool.withConnection { connection in
            let row = try connection.execute(
                prepared: "notice_reach",
                """
                SELECT (SELECT count(*) FROM units u
                        WHERE (n.audience_unit_types IS NULL OR u.unit_type = ANY (n.audience_unit_types))
                          AND (n.audience_districts IS NULL OR u.district = ANY (n.audience_districts))) AS audience,
                       (SELECT count(*) FROM notice_inbox i WHERE i.notice_id = n.id) AS delivered
                FROM notices n WHERE n.public_id = $1
                """, [publicId]
            ).first.orThrow()
            return (try row.int("audience") ?? 0, try row.int("delivered") ?? 0)
        }
    }

    /// A page of unit `unitId`'s inbox, newest first: notices published by now and not withdrawn.
    public struct InboxPage: Sendable, Hashable {
        public var page: Page<InboxNotice>
        public var unread: Int
    }

    /// - Parameter unreadOnly: only notices not read yet.
    public func inbox(unitId: UnifiedSocialCreditCode, unreadOnly: Bool, limit: Int, offset: Int) async throws
        -> InboxPage
    {
        try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "notice_inbox_page",
                """
                SELECT n.public_id, n.title, n.summary, n.document_url, \(PostgresTimestamp.rfc3339("n.published_at")),
                       i.read_at IS NOT NULL AS read
                FROM notice_inbox i JOIN notices n ON n.id = i.notice_id
                WHERE i.unit_id = $1 AND n.withdrawn_at IS NULL AND n.published_at <= now()
                  AND (NOT $2 OR i.read_at IS NULL)
                ORDER BY n.published_at DESC, n.id DESC LIMIT $3 OFFSET $4
                """, [unitId.rawValue, unreadOnly, limit, offset])
            let items = try rows.rows.map { row in
                InboxNotice(
                    id: try row.requiredUUID("public_id"), title: try row.requiredString("title"),
                    summary: try row.requiredString("summary"), documentUrl: try row.requiredString("document_url"),
                    publishedAt: try row.requiredString("published_at"), read: try row.bool("read") ?? false)
            }
            let counts = try Self.inboxCounts(unitId: unitId, on: connection)
            let total = try counts.int("total") ?? 0
            let unread = try counts.int("unread") ?? 0
            return InboxPage(
                page: Page(items: items, total: unreadOnly ? unread : total, limit: limit, offset: offset),
                unread: unread)
        }
    }

    /// The newest position of unit `unitId`'s inbox (what "mark all as read" covers), `nil` when empty.
    public func newestInboxPosition(unitId: UnifiedSocialCreditCode) async throws -> Int64? {
        try await pool.withConnection { connection in
            try Self.inboxCounts(unitId: unitId, on: connection).int("newest").map(Int64.init)
        }
    }

    /// Total, unread and newest position of the visible part of unit `unitId`'s inbox (one row).
    static func inboxCounts(unitId: UnifiedSocialCreditCode, on connection: PostgresConnection) throws -> PostgresRow {
        try connection.execute(
            prepared: "notice_inbox_counts",
            """
            SELECT count(*) AS total, count(*) FILTER (WHERE i.read_at IS NULL) AS unread,
                   max(i.notice_id) AS newest
            FROM notice_inbox i JOIN notices n ON n.id = i.notice_id
            WHERE i.unit_id = $1 AND n.withdrawn_at IS NULL AND n.published_at <= now()
            """, [unitId.rawValue]
        ).first.orThrow()
    }

    /// The state unit `unitId`'s system prompts are derived from, and the prompts it has read — one
    /// connection, a few indexed reads.
    public func promptFacts(unitId: UnifiedSocialCreditCode) async throws -> (UnitPromptFacts, read: Set<String>) {
        try await pool.withConnection { connection in
            let unit = try connection.execute(
                prepared: "prompt_unit",
                """
                SELECT profile_status, \(PostgresTimestamp.rfc3339("first_seen")),
                       (profile #> '{qualifications,items}')::text AS qualifications
                FROM units WHERE id = $1
                """, [unitId.rawValue]
            ).first
            let pending = try connection.execute(
                prepared: "prompt_pending",
                """
                SELECT id, \(PostgresTimestamp.rfc3339("requested_at")), count(*) OVER () AS count
                FROM associations WHERE unit_id = $1 AND state = 'pending'
                ORDER BY requested_at DESC, id DESC LIMIT 1
                """, [unitId.rawValue]
            ).first
            let rejected = try connection.execute(
                prepared: "prompt_rejected_attachments",
                """
                SELECT a.id, a.file_name, a.reason, \(PostgresTimestamp.rfc3339("a.validated_at"))
                FROM attachments a
                WHERE a.unit_id = $1 AND a.deleted_at IS NULL AND a.status = 'rejected'
                  AND NOT EXISTS (
                      SELECT 1 FROM attachments b
                      WHERE b.unit_id = a.unit_id AND b.kind = a.kind AND b.deleted_at IS NULL
                        AND b.status <> 'rejected' AND b.uploaded_at > a.uploaded_at)
                ORDER BY a.validated_at DESC, a.id LIMIT 50
                """, [unitId.rawValue])
            let restricted = try connection.execute(
                prepared: "prompt_restrictions",
                """
                SELECT service, reasons::text AS reasons, \(PostgresTimestamp.rfc3339("decided_at"))
                FROM unit_eligibility WHERE unit_id = $1 AND status = 'restricted' ORDER BY service
                """, [unitId.rawValue])
            let reads = try connection.execute(
                prepared: "prompt_reads", "SELECT prompt_id FROM system_prompt_reads WHERE unit_id = $1",
                [unitId.rawValue])
            let qualifications = try unit?.string("qualifications").flatMap {
                try? JSONDecoder().decode([Qualification].self, from: Data($0.utf8))
            }
            let facts = UnitPromptFacts(
                profileComplete: try unit?.string("profile_status") == "complete",
                firstSeen: try unit?.string("first_seen").flatMap(Self.date),
                pending: try pending.flatMap { row in
                    guard let at = try row.string("requested_at").flatMap(Self.date) else { return nil }
                    return .init(count: try row.int("count") ?? 0, newestId: try row.requiredUUID("id"), newestAt: at)
                },
                rejectedAttachments: try rejected.rows.map { row in
                    .init(
                        id: try row.requiredUUID("id"), fileName: try row.requiredString("file_name"),
                        reason: try row.optional("reason", as: AttachmentReason.self),
                        validatedAt: try row.string("validated_at").flatMap(Self.date))
                },
                qualifications: qualifications ?? [],
                restrictions: try restricted.rows.map { row in
                    .init(
                        service: try row.required("service", as: RestrictedService.self),
                        reasons: (try row.string("reasons")).flatMap {
                            try? JSONDecoder().decode([EligibilityReason].self, from: Data($0.utf8))
                        } ?? [], since: try row.string("decided_at").flatMap(Self.date))
                })
            return (facts, Set(try reads.rows.map { try $0.requiredString("prompt_id") }))
        }
    }

    static func date(_ text: String) -> Date? {
        try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
