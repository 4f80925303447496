import Foundation
import PostgresClient
import TalentCore

/// Column lists and row decoders shared by the stores, so each shape is written once.
enum RowDecoding {
    static let attachmentColumns = """
        id, unit_id, kind, file_name, byte_count, sha256, status, reason, warnings::text AS warnings,
        detected_type, width, height, to_json(uploaded_at)#>>'{}' AS uploaded_at,
        to_json(validated_at)#>>'{}' AS validated_at
        """

    static let jobColumns = """
        id, kind, status, subject_id, error_code, error_detail, to_json(created_at)#>>'{}' AS created_at,
        to_json(published_at)#>>'{}' AS published_at, to_json(finished_at)#>>'{}' AS finished_at
        """

    /// Escapes `%`, `_` and `\` for a LIKE pattern.
    static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    static func attachment(_ row: PostgresRow) throws -> AttachmentRecord {
        let warningsJSON = try row.string("warnings") ?? "[]"
        let warnings = (try? JSONDecoder().decode([String].self, from: Data(warningsJSON.utf8))) ?? []
        return AttachmentRecord(
            id: try row.uuid("id")!,
            unitId: try row.requiredString("unit_id"),
            kind: try AttachmentKind(rawValue: row.requiredString("kind")) ?? .other,
            fileName: try row.requiredString("file_name"),
            byteCount: try row.int("byte_count") ?? 0,
            sha256: try row.requiredString("sha256"),
            status: try AttachmentRecord.Status(rawValue: row.requiredString("status")) ?? .pending,
            reason: try row.string("reason").flatMap(AttachmentReason.init(rawValue:)),
            warnings: warnings,
            detectedType: try row.string("detected_type"),
            width: try row.int("width"),
            height: try row.int("height"),
            uploadedAt: try row.requiredString("uploaded_at"),
            validatedAt: try row.string("validated_at"))
    }

    static func job(_ row: PostgresRow) throws -> JobRecord {
        JobRecord(
            id: try row.uuid("id")!,
            kind: try row.requiredString("kind"),
            status: try JobStatus(rawValue: row.requiredString("status")) ?? .queued,
            subjectId: try row.uuid("subject_id"),
            errorCode: try row.string("error_code"),
            // Only refusals carry client-facing words; other details may name internals.
            errorDetail: try row.string("status") == JobStatus.failed.rawValue ? row.string("error_detail") : nil,
            createdAt: try row.requiredString("created_at"),
            publishedAt: try row.string("published_at"),
            finishedAt: try row.string("finished_at"))
    }
}

extension Optional where Wrapped == PostgresRow {
    /// The row a statement with `RETURNING` (or a lookup that cannot miss) must have produced.
    /// - Throws: ``PostgresError/Code/unexpectedResult``.
    func orThrow() throws(PostgresError) -> PostgresRow {
        guard let self else { throw PostgresError(code: .unexpectedResult, message: "expected a row") }
        return self
    }
}
