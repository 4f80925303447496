/// The attachment types a unit may upload (PRODUCT.md §4): decided from the content, never the name.
public enum AttachmentFileType: String, CaseIterable, Codable, Sendable {
    case pdf
    case jpeg
    case png

    /// The MIME type libmagic reports for this type.
    public var mimeType: String {
        switch self {
        case .pdf: "application/pdf"
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        }
    }

    /// File-name extensions (lower case, without the dot) that agree with this type.
    public var extensions: Set<String> {
        switch self {
        case .pdf: ["pdf"]
        case .jpeg: ["jpg", "jpeg", "jpe"]
        case .png: ["png"]
        }
    }

    /// The type for a MIME type detected from content, or `nil` when it is not an allowed type.
    public init?(mimeType: String) {
        guard let match = Self.allCases.first(where: { $0.mimeType == mimeType }) else { return nil }
        self = match
    }

    /// Whether `fileName`'s extension (case-insensitive) agrees with this type. A name without an
    /// extension does not agree.
    public func agrees(withFileName fileName: String) -> Bool {
        guard let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex else { return false }
        let ext = fileName[fileName.index(after: dot)...].lowercased()
        return extensions.contains(ext)
    }
}
