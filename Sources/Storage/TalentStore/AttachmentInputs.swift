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

/// What ``AttachmentStore/create(_:jobId:idempotencyKey:on:)`` did.
public enum AttachmentCreation: Sendable {
    /// Stored a new attachment (its job is written by the caller, in the same transaction).
    case created(AttachmentRecord)
    /// The key was used before: nothing stored; here is what the first request left.
    case replay(IdempotentReplay)
}
