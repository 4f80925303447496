/// The job kinds, one queue each (PRODUCT.md §2).
public enum JobKind: String, CaseIterable, Codable, Sendable {
    case attachmentValidation = "attachment.validation"
    /// Association requests, approvals, rejections, unlinks, position updates (PRODUCT.md §2).
    case associationDecision = "association.decision"
    /// Profile submissions and handler maintenance of a unit (manual §2, §6).
    case unitProfile = "unit.profile"
    /// Notice fan-out to the audience's inboxes, withdrawals and read marks (manual §3).
    case noticeFanout = "notice.fanout"
    /// Restricted-service eligibility: credit-list updates, registration changes, business items,
    /// recomputations; the daily sweep runs in its workers (manual §4, §7).
    case eligibilityCheck = "eligibility.check"

    /// The routing key jobs of this kind are published with; also the work queue's name.
    public var routingKey: String { rawValue }
}
