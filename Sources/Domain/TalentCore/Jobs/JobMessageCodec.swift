import Foundation

/// Encodes and decodes job messages with one JSON convention (ISO 8601 date-times with milliseconds,
/// read with or without them; sorted keys).
public enum JobMessageCodec {
    /// Why a message body could not be decoded.
    public struct DecodeError: Error, Sendable, Hashable {
        public enum Code: String, Sendable {
            /// Not JSON, or not the expected shape.
            case malformed
            /// `schemaVersion` is missing or not one this code reads.
            case unknownSchemaVersion = "unknown_schema_version"
            /// Longer than ``JobMessageCodec/maxBodyBytes``: not parsed at all.
            case tooLarge = "too_large"
        }
        public var code: Code
        public var detail: String
    }

    /// Largest job message body read, in bytes (64 KiB). Job messages carry ids and short forms, never
    /// file contents (those stay in PostgreSQL).
    public static let maxBodyBytes = 65_536

    /// A message that could not be encoded (a value JSON cannot carry, such as a non-finite number).
    public struct EncodeError: Error, Sendable, CustomStringConvertible {
        public var detail: String
        public var description: String { "job message not encodable: \(detail)" }
    }

    /// Encodes a job message as UTF-8 JSON (sorted keys, dates with milliseconds).
    /// - Throws: ``EncodeError``, also for a body longer than ``maxBodyBytes`` (no worker would read
    ///   it); never an empty or partial body.
    public static func encode<Message: Encodable>(_ message: Message) throws(EncodeError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        encoder.outputFormatting = [.sortedKeys]
        let body: [UInt8]
        do {
            body = Array(try encoder.encode(message))
        } catch {
            throw EncodeError(detail: "\(error)")
        }
        guard body.count <= maxBodyBytes else {
            throw EncodeError(detail: "\(body.count) bytes, more than the \(maxBodyBytes) a job message may have")
        }
        return body
    }

    /// Decodes an attachment-validation job.
    /// - Throws: ``DecodeError``.
    public static func decodeAttachmentValidation(_ body: [UInt8]) throws(DecodeError) -> AttachmentValidationJob {
        try decode(AttachmentValidationJob.self, from: body)
    }

    /// Decodes a job message of type `Message`: size first, then the shape and its `schemaVersion`.
    /// - Throws: ``DecodeError``.
    public static func decode<Message: VersionedJobMessage>(_ type: Message.Type, from body: [UInt8])
        throws(DecodeError) -> Message
    {
        guard body.count <= maxBodyBytes else {
            throw DecodeError(code: .tooLarge, detail: "body of \(body.count) bytes exceeds \(maxBodyBytes)")
        }
        let data = Data(body)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
                return date
            }
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date-time: \(text)"))
        }
        // One parse in the common case: the shape, then its version; only a body that does not decode
        // is parsed again for its version, to tell an unknown version from a malformed body.
        let decoded: Message
        do {
            decoded = try decoder.decode(Message.self, from: data)
        } catch {
            let version: SchemaVersion
            do {
                version = try decoder.decode(SchemaVersion.self, from: data)
            } catch {
                throw DecodeError(code: .malformed, detail: "body is not a JSON object")
            }
            guard version.schemaVersion == Message.currentSchemaVersion else {
                throw Self.unknownVersion(version.schemaVersion)
            }
            throw DecodeError(
                code: .malformed, detail: "\(Message.kind.rawValue) v\(Message.currentSchemaVersion): \(error)")
        }
        guard decoded.schemaVersion == Message.currentSchemaVersion else {
            throw Self.unknownVersion(decoded.schemaVersion)
        }
        return decoded
    }

    static func unknownVersion(_ version: Int?) -> DecodeError {
        DecodeError(code: .unknownSchemaVersion, detail: "schemaVersion \(version.map(String.init) ?? "missing")")
    }
}

/// The one field read before a body's shape is known.
struct SchemaVersion: Decodable { var schemaVersion: Int? }

/// A job message type: Codable JSON with a `schemaVersion` checked before anything else.
public protocol VersionedJobMessage: Codable, Sendable {
    static var currentSchemaVersion: Int { get }
    static var kind: JobKind { get }
    var schemaVersion: Int { get }
    var jobId: UUID { get }
    /// The unit the job acts for (its tenant; the job row's `unit_id`), `nil` for a job of the
    /// platform's own such as a notice fan-out, which an upstream service submits and reads.
    var actingUnit: UnifiedSocialCreditCode? { get }
    /// When the request that made the job was accepted (the start of request → effect latency).
    var requestedAt: Date { get }
}

/// A job message that always acts for one unit (attachment validation, association decisions,
/// profile changes): its ``unitId`` is the ``VersionedJobMessage/actingUnit``.
public protocol UnitJobMessage: VersionedJobMessage {
    var unitId: UnifiedSocialCreditCode { get }
}

extension UnitJobMessage {
    public var actingUnit: UnifiedSocialCreditCode? { unitId }
}
