import Foundation
import Hummingbird
import TalentCore

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
        /// The JSON body is malformed or misses a field.
        case invalidBody = "invalid_body"
        /// A form field breaks a rule (422).
        case invalidForm = "invalid_form"
        /// The association request was already decided (409).
        case notPending = "not_pending"
        /// The person is not a current employee (409).
        case notActive = "not_active"
        /// The unlink pre-check failed; `reasons` lists every reason (409).
        case unlinkRefused = "unlink_refused"
        /// No unit has the association code (422).
        case unknownAssociationCode = "unknown_association_code"
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
    /// For `unlink_refused`: every reason.
    public var reasons: [UnlinkReason]?

    public init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil, reasons: [UnlinkReason]? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.reasons = reasons
    }

    public var status: HTTPResponse.Status {
        switch code {
        case .unauthenticated, .invalidToken: .unauthorized
        case .notFound, .routeNotFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .invalidParameter, .missingParameter, .invalidBody: .badRequest
        case .invalidForm, .unknownAssociationCode: .unprocessableContent
        case .notPending, .notActive, .unlinkRefused: .conflict
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
            status: status, ErrorBody(error: .init(code: code, message: message, reasons: reasons)), headers: headers)
    }

    struct ErrorBody: Codable {
        struct Detail: Codable {
            var code: Code
            var message: String
            var reasons: [UnlinkReason]?
        }
        var error: Detail
    }
}
