/// Why an attachment was rejected: one code per rejection; portals show messages by code (PRODUCT.md §4).
public enum AttachmentReason: String, CaseIterable, Codable, Sendable {
    case empty
    case tooLarge = "too_large"
    case unsupportedType = "unsupported_type"
    case typeMismatch = "type_mismatch"
    case corrupt
    case encrypted
    case activeContent = "active_content"
    case dimensionsExceeded = "dimensions_exceeded"
}
