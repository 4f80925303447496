import Foundation

/// A system prompt (系统提示, manual §3): something in the unit's own business state that needs its
/// attention, shown on the home page beside the policy notices.
///
/// Prompts are derived from the unit's state when read (``SystemPrompts/derive(from:)``), never
/// stored: one appears the moment its cause exists and disappears the moment it is gone, whichever job
/// changed the state. Only the unit's read marks are stored, by ``id``; an id names the cause, so a new
/// cause (another pending request, another rejected file) is unread again.
public struct SystemPrompt: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The profile is not complete (manual §2): restricted services stay restricted.
        case profileIncomplete = "profile_incomplete"
        /// Employees wait for the unit to confirm their association (manual §5).
        case pendingAssociations = "pending_associations"
        /// An uploaded attachment was rejected (manual §4).
        case attachmentRejected = "attachment_rejected"
        /// A qualification of the profile expires within ``SystemPrompts/expiryWarningDays`` days, or
        /// has expired.
        case qualificationExpiring = "qualification_expiring"
        /// A restricted service (manual §4) is restricted for a reason beyond the incomplete profile.
        case serviceRestricted = "service_restricted"
    }

    /// Stable while its cause lasts: `profile_incomplete`, `pending_associations:<newest request id>`,
    /// `attachment_rejected:<attachment id>`, `qualification_expiring:<kind>:<last valid day>`,
    /// `service_restricted:<service>:<reason codes joined by +>`.
    public var id: String
    public var kind: Kind
    /// When the cause arose, where known (the newest request, the verdict, the profile's creation).
    public var since: Date?
    /// What the portal shows, in Chinese.
    public var message: String
    /// The same in English.
    public var messageEnglish: String

    public init(id: String, kind: Kind, since: Date?, message: String, messageEnglish: String) {
        self.id = id
        self.kind = kind
        self.since = since
        self.message = message
        self.messageEnglish = messageEnglish
    }
}
