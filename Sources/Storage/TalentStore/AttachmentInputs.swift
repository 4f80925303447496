import Foundation
import TalentAPI
import TalentCore

/// A new attachment, as received by the gateway.
public struct NewAttachment: Sendable {
    public var id: UUID
    public var unitId: UnifiedSocialCreditCode
    public var unitName: String?
    public var kind: AttachmentKind
    public var fileName: String
    public var content: [UInt8]

    public init(
        id: UUID = UUID(), unitId: UnifiedSocialCreditCode, unitName: String?, kind: AttachmentKind,
        fileName: String, content: [UInt8]
    ) {
        self.id = id
        self.unitId = unitId
        self.unitName = unitName
        self.kind = kind
        self.fileName = fileName
        self.content = content
    }
}

/// What a worker needs to validate an attachment.
public struct AttachmentContent: Sendable {
    public var kind: AttachmentKind
    public var fileName: String
    public var bytes: [UInt8]
}

/// A request's idempotency key (`Idempotency-Key` header) and the hash of what it asks for.
public struct IdempotencyKey: Sendable, Hashable {
    public var key: String
    public var requestHash: String

    public init(key: String, requestHash: String) {
        self.key = key
        self.requestHash = requestHash
    }
}

/// What ``AttachmentStore/create(_:jobId:idempotencyKey:on:)`` did.
public enum AttachmentCreation: Sendable {
    /// Stored a new attachment (its job is written by the caller, in the same transaction).
    case created(AttachmentRecord)
    /// The key was used before: nothing stored; here is what the first request left.
    case replay(IdempotentReplay)
}

/// The state of an idempotency key's first request.
public struct IdempotentReplay: Sendable, Hashable {
    public var requestHash: String
    public var attachmentId: UUID?
    public var jobId: UUID?
    /// Set once the first request was answered (its job confirmed by the broker).
    public var responseStatus: Int?
    public var responseBody: String?
}
