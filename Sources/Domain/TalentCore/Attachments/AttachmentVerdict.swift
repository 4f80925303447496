/// The outcome of validating an attachment's bytes (PRODUCT.md §4).
///
/// `accepted` may carry warnings (for example a PDF that qpdf repairs with warnings only); `rejected`
/// carries exactly one ``AttachmentReason`` and a human-readable detail for operators.
public struct AttachmentVerdict: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable {
        case accepted
        case rejected
    }

    public var outcome: Outcome
    /// Set when `outcome == .rejected`.
    public var reason: AttachmentReason?
    /// Operator-facing detail of the rejection (a decoder's message, a limit); never shown as the reason.
    public var detail: String?
    /// Warnings recorded with the verdict.
    public var warnings: [String]
    /// Content type decided from the bytes (`application/pdf`, `image/jpeg`, `image/png`, or what libmagic said).
    public var detectedType: String?
    /// Pixel dimensions for images.
    public var width: Int?
    public var height: Int?

    public init(
        outcome: Outcome, reason: AttachmentReason? = nil, detail: String? = nil, warnings: [String] = [],
        detectedType: String? = nil, width: Int? = nil, height: Int? = nil
    ) {
        self.outcome = outcome
        self.reason = reason
        self.detail = detail
        self.warnings = warnings
        self.detectedType = detectedType
        self.width = width
        self.height = height
    }

    public static func accepted(
        detectedType: String, warnings: [String] = [], width: Int? = nil, height: Int? = nil
    ) -> AttachmentVerdict {
        AttachmentVerdict(
            outcome: .accepted, warnings: warnings, detectedType: detectedType, width: width, height: height)
    }

    public static func rejected(
        _ reason: AttachmentReason, detail: String? = nil, detectedType: String? = nil, warnings: [String] = []
    ) -> AttachmentVerdict {
        AttachmentVerdict(
            outcome: .rejected, reason: reason, detail: detail, warnings: warnings, detectedType: detectedType)
    }
}
