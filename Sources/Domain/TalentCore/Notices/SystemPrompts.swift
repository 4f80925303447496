import Foundation

/// The state of one unit that system prompts are derived from, as read in one snapshot.
public struct UnitPromptFacts: Sendable, Hashable {
    /// The unit's pending association requests (待确认单位关联): how many, and the newest.
    public struct PendingRequests: Sendable, Hashable {
        public var count: Int
        public var newestId: UUID
        public var newestAt: Date

        public init(count: Int, newestId: UUID, newestAt: Date) {
            self.count = count
            self.newestId = newestId
            self.newestAt = newestAt
        }
    }

    /// A rejected, not deleted attachment.
    public struct RejectedAttachment: Sendable, Hashable {
        public var id: UUID
        public var fileName: String
        public var reason: AttachmentReason?
        public var validatedAt: Date?

        public init(id: UUID, fileName: String, reason: AttachmentReason?, validatedAt: Date?) {
            self.id = id
            self.fileName = fileName
            self.reason = reason
            self.validatedAt = validatedAt
        }
    }

    /// A restricted service's stored decision when restricted (``EligibilityDecision``).
    public struct Restriction: Sendable, Hashable {
        public var service: RestrictedService
        public var reasons: [EligibilityReason]
        /// When the decision was made.
        public var since: Date?

        public init(service: RestrictedService, reasons: [EligibilityReason], since: Date?) {
            self.service = service
            self.reasons = reasons
            self.since = since
        }
    }

    public var profileComplete: Bool
    /// When the unit was first seen (the incomplete profile's prompt dates from then).
    public var firstSeen: Date?
    public var pending: PendingRequests?
    public var rejectedAttachments: [RejectedAttachment]
    /// The current profile's qualifications (empty while there is none).
    public var qualifications: [Qualification]
    /// The restricted services the unit is restricted from, with their reasons.
    public var restrictions: [Restriction]

    public init(
        profileComplete: Bool, firstSeen: Date?, pending: PendingRequests?, rejectedAttachments: [RejectedAttachment],
        qualifications: [Qualification], restrictions: [Restriction] = []
    ) {
        self.profileComplete = profileComplete
        self.firstSeen = firstSeen
        self.pending = pending
        self.rejectedAttachments = rejectedAttachments
        self.qualifications = qualifications
        self.restrictions = restrictions
    }
}

/// Derives a unit's system prompts (系统提示, manual §3) from its state (``UnitPromptFacts``).
public enum SystemPrompts {
    /// A qualification whose last valid day is at most this many days away is prompted (30).
    public static let expiryWarningDays = 30

    /// Every prompt the state calls for, in ``SystemPrompt/Kind`` order, each kind's newest first.
    /// - Parameter today: today in Beijing (``CalendarDate/today(utcOffsetSeconds:now:)``).
    public static func derive(from facts: UnitPromptFacts, today: CalendarDate) -> [SystemPrompt] {
        var prompts: [SystemPrompt] = []
        if !facts.profileComplete {
            prompts.append(
                SystemPrompt(
                    id: SystemPrompt.Kind.profileIncomplete.rawValue, kind: .profileIncomplete, since: facts.firstSeen,
                    message: "单位信息尚未完善，请完善单位信息；完善前工作居住证、引进人才业务受限。",
                    messageEnglish:
                        "The unit's profile is incomplete: complete it; until then the work residence permit and talent introduction are restricted."
                ))
        }
        if let pending = facts.pending, pending.count > 0 {
            prompts.append(
                SystemPrompt(
                    id: "\(SystemPrompt.Kind.pendingAssociations.rawValue):\(pending.newestId.uuidString.lowercased())",
                    kind: .pendingAssociations, since: pending.newestAt,
                    message: "有 \(pending.count) 名员工申请关联本单位，等待确认。",
                    messageEnglish: "\(pending.count) employee(s) wait for the unit to confirm their association."))
        }
        for attachment in facts.rejectedAttachments.sorted(by: {
            ($0.validatedAt ?? .distantPast) > ($1.validatedAt ?? .distantPast)
        }) {
            let reason = attachment.reason?.rawValue ?? "rejected"
            prompts.append(
                SystemPrompt(
                    id: "\(SystemPrompt.Kind.attachmentRejected.rawValue):\(attachment.id.uuidString.lowercased())",
                    kind: .attachmentRejected, since: attachment.validatedAt,
                    message: "附件“\(attachment.fileName)”未通过校验（\(reason)），请重新上传。",
                    messageEnglish:
                        "The attachment \"\(attachment.fileName)\" was rejected (\(reason)): upload it again."))
        }
        let expiring = facts.qualifications.compactMap { qualification -> (Qualification, CalendarDate, Int)? in
            guard let last = qualification.validUntil else { return nil }
            let days = today.days(until: last)
            return days <= expiryWarningDays ? (qualification, last, days) : nil
        }.sorted { $0.2 < $1.2 }
        for (qualification, last, days) in expiring {
            let label = qualification.kind.label
            let (message, english) =
                days < 0
                ? (
                    "单位资质“\(label)”已于 \(last) 过期，请更新单位资质。",
                    "The qualification \(qualification.kind.rawValue) expired on \(last): update it."
                )
                : (
                    "单位资质“\(label)”将于 \(last) 到期（剩余 \(days) 天），请及时更新。",
                    "The qualification \(qualification.kind.rawValue) expires on \(last) (in \(days) days): renew it."
                )
            prompts.append(
                SystemPrompt(
                    id: "\(SystemPrompt.Kind.qualificationExpiring.rawValue):\(qualification.kind.rawValue):\(last)",
                    kind: .qualificationExpiring, since: nil, message: message, messageEnglish: english))
        }
        // Restricted only for the incomplete profile: that prompt already says so.
        for restriction in facts.restrictions
        where restriction.reasons.contains(where: { $0.code != .profileIncomplete }) {
            let codes = restriction.reasons.map(\.code.rawValue).joined(separator: "+")
            prompts.append(
                SystemPrompt(
                    id: "\(SystemPrompt.Kind.serviceRestricted.rawValue):\(restriction.service.rawValue):\(codes)",
                    kind: .serviceRestricted, since: restriction.since,
                    message: "\(restriction.service.label)业务受限：\(restriction.reasons.map(\.message).joined())",
                    messageEnglish:
                        "The \(restriction.service.labelEnglish) is restricted: \(restriction.reasons.map(\.messageEnglish).joined(separator: " "))"
                ))
        }
        return prompts
    }
}
