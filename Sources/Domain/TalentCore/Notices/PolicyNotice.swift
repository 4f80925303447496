import Foundation

/// A policy or regulation notice (政策法规通知, manual §3) as an administrator publishes it through
/// an upstream service: what the home page lists and the document it opens.
public struct PolicyNotice: Sendable, Hashable, Codable {
    /// 1–200 characters.
    public var title: String
    /// 0–1,000 characters.
    public var summary: String
    /// The document the portal opens: an absolute `https` URL, at most 2,048 characters.
    public var documentUrl: String
    /// When the notice becomes visible to its audience (may be in the future).
    public var publishedAt: Date
    public var audience: NoticeAudience

    public init(
        title: String, summary: String, documentUrl: String, publishedAt: Date = Date(),
        audience: NoticeAudience = .allUnits
    ) {
        self.title = title
        self.summary = summary
        self.documentUrl = documentUrl
        self.publishedAt = publishedAt
        self.audience = audience
    }

    /// Every rule the form breaks (field paths as in the request body): text lengths and control
    /// characters, the document URL (`invalid_value`: not an absolute https URL with a host), the
    /// audience (``NoticeAudience/problems()``).
    public func problems() -> [FieldProblem] {
        var problems = FormText.problems(title, field: "title", maxLength: 200)
        if !summary.isEmpty {
            problems += FormText.problems(summary, field: "summary", maxLength: 1_000)
        }
        if documentUrl.utf8.count > 2_048 {
            problems.append(
                .init(field: "documentUrl", code: "too_long", message: "documentUrl is longer than 2,048 bytes"))
        } else if !Self.isDocumentURL(documentUrl) {
            problems.append(
                .init(
                    field: "documentUrl", code: "invalid_value",
                    message: "documentUrl must be an absolute https URL with a host"))
        }
        return problems + audience.problems()
    }

    static func isDocumentURL(_ text: String) -> Bool {
        guard text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }),
            let components = URLComponents(string: text), components.scheme?.lowercased() == "https",
            let host = components.host, !host.isEmpty
        else { return false }
        return true
    }
}
