import Foundation
import TalentCore

/// An attachment as stored, without its bytes. Also the gateway's JSON representation.
public struct AttachmentRecord: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable {
        case pending
        case accepted
        case rejected
    }

    public var id: UUID
    public var unitId: String
    public var kind: AttachmentKind
    public var fileName: String
    public var byteCount: Int
    /// Hex SHA-256 of the bytes.
    public var sha256: String
    public var status: Status
    /// Set when rejected.
    public var reason: AttachmentReason?
    /// What ``reason`` means, for people, in Chinese and English (``OutcomeMessage``).
    public var reasonMessage: OutcomeMessage?
    public var warnings: [String]
    public var detectedType: String?
    public var width: Int?
    public var height: Int?
    /// ISO 8601.
    public var uploadedAt: String
    public var validatedAt: String?

    public init(
        id: UUID, unitId: String, kind: AttachmentKind, fileName: String, byteCount: Int, sha256: String,
        status: Status, reason: AttachmentReason? = nil, warnings: [String], detectedType: String? = nil,
        width: Int? = nil, height: Int? = nil, uploadedAt: String, validatedAt: String? = nil
    ) {
        self.id = id
        self.unitId = unitId
        self.kind = kind
        self.fileName = fileName
        self.byteCount = byteCount
        self.sha256 = sha256
        self.status = status
        self.reason = reason
        self.reasonMessage = reason.flatMap { OutcomeMessage.forCode($0.rawValue) }
        self.warnings = warnings
        self.detectedType = detectedType
        self.width = width
        self.height = height
        self.uploadedAt = uploadedAt
        self.validatedAt = validatedAt
    }
}

/// The gateway's answer to an accepted upload (`202`): the stored attachment and its validation job.
public struct UploadAccepted: Codable, Sendable, Hashable {
    public var attachment: AttachmentRecord
    public var job: JobRecord

    public init(attachment: AttachmentRecord, job: JobRecord) {
        self.attachment = attachment
        self.job = job
    }
}

/// A page of a unit's attachments, as the gateway lists them.
public typealias AttachmentPage = Page<AttachmentRecord>
