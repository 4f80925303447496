import TalentCore

/// What the inspector needs besides the bytes: the name the unit gave, the attachment kind (for its
/// size limit) and the policy. Passed to the `talent-inspect` child process as JSON in its argument.
public struct InspectionRequest: Codable, Sendable, Hashable {
    public var fileName: String
    public var kind: AttachmentKind
    public var policy: AttachmentPolicy

    public init(fileName: String, kind: AttachmentKind, policy: AttachmentPolicy) {
        self.fileName = fileName
        self.kind = kind
        self.policy = policy
    }
}
