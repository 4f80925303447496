import HTTPTypes

/// Every operation the gateway serves: method, path (OpenAPI template syntax, which Hummingbird
/// also routes), `operationId` in schemas/openapi.json, and whether it needs a unit token. The
/// router is built from this table and a test compares it with the OpenAPI document.
public enum GatewayOperation: String, CaseIterable, Sendable {
    case getLiveness
    case getReadiness
    case uploadAttachment
    case listAttachments
    case getAttachment
    case deleteAttachment
    case getJob

    public var method: HTTPRequest.Method {
        switch self {
        case .uploadAttachment: .post
        case .deleteAttachment: .delete
        default: .get
        }
    }

    public var path: String {
        switch self {
        case .getLiveness: "/health/live"
        case .getReadiness: "/health/ready"
        case .uploadAttachment, .listAttachments: "/v1/attachments"
        case .getAttachment, .deleteAttachment: "/v1/attachments/{attachmentId}"
        case .getJob: "/v1/jobs/{jobId}"
        }
    }

    public var requiresUnitToken: Bool {
        switch self {
        case .getLiveness, .getReadiness: false
        default: true
        }
    }

    /// The methods served on `path` (a concrete request path), empty when no operation's template
    /// matches it; a `{parameter}` segment matches any one segment.
    public static func methods(matching path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return allCases.filter { operation in
            let template = operation.path.split(separator: "/", omittingEmptySubsequences: true)
            return template.count == segments.count
                && zip(template, segments).allSatisfy { $0.first == "{" || $0 == $1 }
        }.map(\.method)
    }
}
