import Foundation
import TalentCore

/// `POST /v1/service/notices`: a policy notice to publish (政策法规通知, manual §3).
public struct NoticePublicationRequest: Codable, Sendable, Hashable {
    public var title: String
    public var summary: String?
    /// An absolute `https` URL of the document the portal opens.
    public var documentUrl: String
    /// RFC 3339 date-time; absent: now. A later time keeps the notice hidden until then.
    public var publishedAt: String?
    /// Absent: every unit.
    public var audience: NoticeAudience?

    public init(
        title: String, summary: String? = nil, documentUrl: String, publishedAt: String? = nil,
        audience: NoticeAudience? = nil
    ) {
        self.title = title
        self.summary = summary
        self.documentUrl = documentUrl
        self.publishedAt = publishedAt
        self.audience = audience
    }
}

/// The `202` of a notice publication or withdrawal: the notice's id (the publication job's id) and
/// the job.
public struct NoticeJobAccepted: Codable, Sendable, Hashable {
    public var noticeId: UUID
    public var job: JobRecord

    public init(noticeId: UUID, job: JobRecord) {
        self.noticeId = noticeId
        self.job = job
    }
}

/// A notice as its publishing services see it, with its fan-out's progress.
public struct NoticeRecord: Codable, Sendable, Hashable {
    public struct FanOut: Codable, Sendable, Hashable {
        /// Inbox rows written so far (units of the audience reached).
        public var recipients: Int
        /// Chunks committed so far.
        public var chunks: Int
        /// When the last chunk was written; `null` while the fan-out runs.
        public var completedAt: String?

        public init(recipients: Int, chunks: Int, completedAt: String?) {
            self.recipients = recipients
            self.chunks = chunks
            self.completedAt = completedAt
        }
    }

    public var id: UUID
    public var title: String
    public var summary: String
    public var documentUrl: String
    public var publishedAt: String
    public var audience: NoticeAudience
    public var createdBy: String
    public var createdAt: String
    public var fanOut: FanOut
    public var withdrawnAt: String?

    public init(
        id: UUID, title: String, summary: String, documentUrl: String, publishedAt: String, audience: NoticeAudience,
        createdBy: String, createdAt: String, fanOut: FanOut, withdrawnAt: String?
    ) {
        self.id = id
        self.title = title
        self.summary = summary
        self.documentUrl = documentUrl
        self.publishedAt = publishedAt
        self.audience = audience
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.fanOut = fanOut
        self.withdrawnAt = withdrawnAt
    }
}

/// A notice in a unit's inbox (`GET /v1/notices`).
public struct InboxNotice: Codable, Sendable, Hashable {
    public var id: UUID
    public var title: String
    public var summary: String
    public var documentUrl: String
    public var publishedAt: String
    public var read: Bool

    public init(id: UUID, title: String, summary: String, documentUrl: String, publishedAt: String, read: Bool) {
        self.id = id
        self.title = title
        self.summary = summary
        self.documentUrl = documentUrl
        self.publishedAt = publishedAt
        self.read = read
    }
}

/// A system prompt as a unit sees it (`GET /v1/prompts`, `GET /v1/home`).
public struct PromptItem: Codable, Sendable, Hashable {
    public var id: String
    public var kind: SystemPrompt.Kind
    public var message: String
    public var messageEnglish: String
    public var since: String?
    public var read: Bool

    public init(_ prompt: SystemPrompt, read: Bool) {
        self.id = prompt.id
        self.kind = prompt.kind
        self.message = prompt.message
        self.messageEnglish = prompt.messageEnglish
        self.since = prompt.since.map { $0.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }
        self.read = read
    }
}

/// The home page's notices part (`GET /v1/home`, manual §3): the newest notices and the newest
/// prompts of each kind, with the unread counts; "view more" is `GET /v1/notices` / `GET /v1/prompts`.
public struct HomeNotices: Codable, Sendable, Hashable {
    public var notices: [InboxNotice]
    public var unreadNotices: Int
    public var prompts: [PromptItem]
    public var unreadPrompts: Int

    public init(notices: [InboxNotice], unreadNotices: Int, prompts: [PromptItem], unreadPrompts: Int) {
        self.notices = notices
        self.unreadNotices = unreadNotices
        self.prompts = prompts
        self.unreadPrompts = unreadPrompts
    }
}

/// `POST /v1/read-marks`: notices and prompts the unit has read. `allNotices` marks every notice of the
/// inbox shown so far (up to the newest at the time of the request); `allPrompts` every prompt shown now.
public struct ReadMarksRequest: Codable, Sendable, Hashable {
    public var noticeIds: [UUID]?
    public var allNotices: Bool?
    public var promptIds: [String]?
    public var allPrompts: Bool?

    public init(noticeIds: [UUID]? = nil, allNotices: Bool? = nil, promptIds: [String]? = nil, allPrompts: Bool? = nil)
    {
        self.noticeIds = noticeIds
        self.allNotices = allNotices
        self.promptIds = promptIds
        self.allPrompts = allPrompts
    }
}

/// The `202` of read marks.
public struct ReadMarksAccepted: Codable, Sendable, Hashable {
    public var job: JobRecord

    public init(job: JobRecord) { self.job = job }
}
