import Foundation
import PostgresClient
import TalentAPI
import TalentCore

/// Column lists and row decoders shared by the stores, so each shape is written once.
enum RowDecoding {
    static let attachmentColumns = """
        id, unit_id, kind, file_name, byte_count, sha256, status, reason, warnings::text AS warnings,
        detected_type, width, height, \(PostgresTimestamp.rfc3339("uploaded_at")),
        \(PostgresTimestamp.rfc3339("validated_at"))
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
            id: try row.requiredUUID("id"),
            unitId: try row.requiredString("unit_id"),
            kind: try row.required("kind", as: AttachmentKind.self),
            fileName: try row.requiredString("file_name"),
            byteCount: try row.int("byte_count") ?? 0,
            sha256: try row.requiredString("sha256"),
            status: try row.required("status", as: AttachmentRecord.Status.self),
            reason: try row.optional("reason", as: AttachmentReason.self),
            warnings: warnings,
            detectedType: try row.string("detected_type"),
            width: try row.int("width"),
            height: try row.int("height"),
            uploadedAt: try row.requiredString("uploaded_at"),
            validatedAt: try row.string("validated_at"))
    }
}
