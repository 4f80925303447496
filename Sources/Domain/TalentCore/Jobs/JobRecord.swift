import Foundation

/// A job as recorded (its row in `jobs`), without its message. Also the gateway's JSON representation.
public struct JobRecord: Codable, Sendable, Hashable {
    public var id: UUID
    public var kind: String
    public var status: JobStatus
    public var subjectId: UUID?
    /// Why a job failed or was dead-lettered (machine-readable).
    public var errorCode: String?
    /// The reason in words (for refused decisions: every reason).
    public var errorDetail: String?
    /// What ``errorCode`` means, for people, in Chinese and English (``OutcomeMessage``).
    public var errorMessage: OutcomeMessage?
    public var createdAt: String
    public var publishedAt: String?
    public var finishedAt: String?

    public init(
        id: UUID, kind: String, status: JobStatus, subjectId: UUID?, errorCode: String?, errorDetail: String?,
        createdAt: String, publishedAt: String?, finishedAt: String?
    ) {
        self.id = id
        self.kind = kind
        self.status = status
        self.subjectId = subjectId
        self.errorCode = errorCode
        self.errorDetail = errorDetail
        self.errorMessage = errorCode.flatMap(OutcomeMessage.forCode)
        self.createdAt = createdAt
        self.publishedAt = publishedAt
        self.finishedAt = finishedAt
    }
}
