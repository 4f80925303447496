import Foundation
import PostgresClient
import TalentAPI
import TalentCore

/// SQL for attachments and their validation jobs. Every read and write is scoped to a unit.
public struct AttachmentStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Stores a new attachment in the caller's transaction (which also registers the unit and writes
    /// the validation job, the outbox row). With an idempotency key, the key is claimed in the same
    /// transaction; a key already claimed (or being claimed by a concurrent request, which this waits
    /// for) stores nothing and returns the first request's state.
    /// - Throws: ``PostgresError``.
    public static func create(
        _ attachment: NewAttachment, jobId: UUID, idempotencyKey: IdempotencyKey?, on connection: PostgresConnection
    ) throws -> AttachmentCreation {
        let digest = SHA256Hex.of(attachment.content)
        if let idempotencyKey,
            let replay = try IdempotencyStore.claim(
                idempotencyKey, unitId: attachment.unitId.rawValue, subjectId: attachment.id, jobId: jobId,
                on: connection)
        {
            return .replay(replay)
        }
        let inserted = try connection.execute(
            prepared: "attachment_insert",
            """
            INSERT INTO attachments (id, unit_id, kind, file_name, byte_count, sha256, content)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING \(RowDecoding.attachmentColumns)
            """,
            [
                attachment.id, attachment.unitId.rawValue, attachment.kind.rawValue, attachment.fileName,
                attachment.content.count, digest, PostgresValue.bytes(attachment.content),
            ])
        return .created(try RowDecoding.attachment(try inserted.first.orThrow()))
    }

    /// Removes an attachment whose job was discarded (its message could not be published), in the
    /// caller's transaction.
    public static func deleteUnpublished(attachmentId: UUID, on connection: PostgresConnection) throws {
        try connection.query("DELETE FROM attachments WHERE id = $1", [attachmentId])
    }

    /// The unit's attachment, or `nil` when it does not exist, is deleted, or belongs to another unit.
    public func attachment(id: UUID, unitId: UnifiedSocialCreditCode) async throws -> AttachmentRecord? {
        try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "attachment_get",
                """
                SELECT \(RowDecoding.attachmentColumns) FROM attachments
                WHERE id = $1 AND unit_id = $2 AND deleted_at IS NULL
                """, [id, unitId.rawValue])
            return try rows.first.map(RowDecoding.attachment)
        }
    }

    /// A page of the unit's attachments, newest first, optionally filtered by a fuzzy match on the file
    /// name (substring, or pg_trgm word similarity ≥ 0.3 for misspellings).
    /// - Returns: the page and the total number of matches.
    public func list(
        unitId: UnifiedSocialCreditCode, search: String?, kind: AttachmentKind?, limit: Int, offset: Int
    ) async throws -> (items: [AttachmentRecord], total: Int) {
        let pattern = search.map { "%" + RowDecoding.escapeLike($0) + "%" }
        return try await pool.withConnection { connection in
            let filter = """
                unit_id = $1 AND deleted_at IS NULL AND ($3::text IS NULL OR kind = $3)
                AND ($2::text IS NULL OR file_name ILIKE $4 OR word_similarity($2, file_name) >= 0.3)
                """
            let rows = try connection.execute(
                prepared: "attachment_list",
                """
                SELECT \(RowDecoding.attachmentColumns) FROM attachments WHERE \(filter)
                ORDER BY CASE WHEN $2::text IS NULL THEN 0 ELSE word_similarity($2, file_name) END DESC,
                         uploaded_at DESC, id
                LIMIT $5 OFFSET $6
                """, [unitId.rawValue, search, kind?.rawValue, pattern, limit, offset])
            let total = try connection.execute(
                prepared: "attachment_count", "SELECT count(*) AS total FROM attachments WHERE \(filter)",
                [unitId.rawValue, search, kind?.rawValue, pattern])
            return (try rows.rows.map(RowDecoding.attachment), try total.first?.int("total") ?? 0)
        }
    }

    /// What ``delete(id:unitId:claim:)`` did.
    public enum Deletion: Sendable {
        case deleted
        /// No such attachment for the unit (or deleted already); nothing changed.
        case missing
        /// The unit's current profile names the attachment (its electronic attachments step): it stays
        /// until a profile modification replaces it.
        case inUse
        /// `claim` found the request's idempotency key used before: nothing changed.
        case replay(IdempotentReplay)
    }

    /// Deletes the unit's attachment (its bytes are dropped; the row stays for the verdict history),
    /// in one transaction with `claim` (the request's idempotency key), which runs first.
    public func delete(
        id: UUID, unitId: UnifiedSocialCreditCode,
        claim: @escaping @Sendable (PostgresConnection) throws -> IdempotentReplay? = { _ in nil }
    ) async throws -> Deletion {
        /// Rolls the claim back when there is nothing to delete.
        struct Missing: Error {}
        /// Rolls the claim back when the current profile names the attachment.
        struct InUse: Error {}
        do {
            return try await pool.transaction { connection in
                if let replay = try claim(connection) { return .replay(replay) }
                // The unit's row shared-locked: a profile submission (which holds it FOR UPDATE while it
                // checks the attachments) is either committed before this looks, or waits until after.
                let inUse = try connection.execute(
                    prepared: "attachment_in_profile",
                    """
                    SELECT EXISTS (
                        SELECT 1 FROM jsonb_array_elements(COALESCE(u.profile->'attachments'->'items', '[]')) i
                        WHERE lower(i->>'attachmentId') = lower($2::text)) AS in_use
                    FROM units u WHERE u.id = $1 FOR SHARE OF u
                    """, [unitId.rawValue, id.uuidString])
                if try inUse.first?.bool("in_use") == true { throw InUse() }
                let result = try connection.query(
                    """
                    UPDATE attachments SET deleted_at = now(), content = NULL
                    WHERE id = $1 AND unit_id = $2 AND deleted_at IS NULL
                    """, [id, unitId.rawValue])
                guard result.affectedRows == 1 else { throw Missing() }
                return .deleted
            }
        } catch is Missing {
            return .missing
        } catch is InUse {
            return .inUse
        }
    }

    /// The bytes to validate, when the attachment still exists and belongs to `unitId`.
    public func content(attachmentId: UUID, unitId: UnifiedSocialCreditCode) async throws -> AttachmentContent? {
        try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "attachment_content",
                """
                SELECT kind, file_name, content FROM attachments
                WHERE id = $1 AND unit_id = $2 AND deleted_at IS NULL
                """, [attachmentId, unitId.rawValue], results: .binary)
            guard let row = rows.first, let bytes = try row.bytes("content") else { return nil }
            return AttachmentContent(
                kind: try row.required("kind", as: AttachmentKind.self),
                fileName: try row.requiredString("file_name"), bytes: bytes)
        }
    }

    /// Writes a verdict and its effect-log row (`attachment_verdicts`, keyed by the job) in the
    /// caller's transaction, in which the job row is already locked.
    /// - Returns: `false` when the attachment is gone (deleted, or not the unit's): nothing written.
    public static func recordVerdict(
        jobId: UUID, unitId: UnifiedSocialCreditCode, attachmentId: UUID, verdict: AttachmentVerdict,
        on connection: PostgresConnection
    ) throws -> Bool {
        let warnings = String(decoding: try JSONEncoder().encode(verdict.warnings), as: UTF8.self)
        let updated = try connection.execute(
            prepared: "attachment_verdict",
            """
            UPDATE attachments SET status = $3, reason = $4, detail = $5, warnings = $6::jsonb,
                detected_type = $7, width = $8, height = $9, validated_at = now()
            WHERE id = $1 AND unit_id = $2 AND deleted_at IS NULL
            """,
            [
                attachmentId, unitId.rawValue, verdict.outcome.rawValue, verdict.reason?.rawValue,
                verdict.detail, warnings, verdict.detectedType, verdict.width, verdict.height,
            ])
        guard updated.affectedRows == 1 else { return false }
        try connection.execute(
            prepared: "verdict_insert",
            "INSERT INTO attachment_verdicts (job_id, attachment_id, outcome, reason) VALUES ($1, $2, $3, $4)",
            [jobId, attachmentId, verdict.outcome.rawValue, verdict.reason?.rawValue])
        return true
    }
}
