import Foundation
import Hummingbird

/// An error answered to a client: an HTTP status and a machine-readable code, with a message that
/// never contains SQL, stack traces or other internals.
///
/// Body: `{"error": {"code": "…", "message": "…"}}` (schemas/openapi.json, `Error`).
public struct GatewayError: HTTPResponseError, Sendable {
    public enum Code: String, Sendable, CaseIterable, Codable {
        case unauthenticated
        case invalidToken = "invalid_token"
        case notFound = "not_found"
        case routeNotFound = "route_not_found"
        case methodNotAllowed = "method_not_allowed"
        case invalidParameter = "invalid_parameter"
        case missingParameter = "missing_parameter"
        case tooLarge = "too_large"
        case idempotencyKeyReused = "idempotency_key_reused"
        case idempotencyInProgress = "idempotency_in_progress"
        case brokerBlocked = "broker_blocked"
        case unavailable
        case `internal`
    }

    public var code: Code
    public var message: String
    /// Seconds, for `Retry-After` on 503.
    public var retryAfterSeconds: Int?

    public init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var status: HTTPResponse.Status {
        switch code {
        case .unauthenticated, .invalidToken: .unauthorized
        case .notFound, .routeNotFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .invalidParameter, .missingParameter: .badRequest
        case .tooLarge: .contentTooLarge
        case .idempotencyKeyReused, .idempotencyInProgress: .conflict
        case .brokerBlocked, .unavailable: .serviceUnavailable
        case .internal: .internalServerError
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        if code == .unauthenticated || code == .invalidToken {
            headers[.wwwAuthenticate] = "Bearer realm=\"talent\""
        }
        return JSONResponse.make(
            status: status, ErrorBody(error: .init(code: code, message: message)), headers: headers)
    }

    struct ErrorBody: Codable {
        struct Detail: Codable {
            var code: Code
            var message: String
        }
        var error: Detail
    }
}
