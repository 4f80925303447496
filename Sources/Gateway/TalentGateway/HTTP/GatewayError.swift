import Foundation
import Hummingbird
import TalentCore

/// An error answered to a client: an HTTP status and a machine-readable code, with a message that
/// never contains SQL, stack traces or other internals.
///
/// Body: `{"error": {"code": "…", "message": "…"}}` (schemas/openapi.json, `Error`).
public struct GatewayError: HTTPResponseError, Sendable {
    public enum Code: String, Sendable, CaseIterable, Codable {
        /// No `Authorization: Bearer` header (401; RFC 6750: no error code in the challenge).
        case unauthenticated
        /// A service token where this gateway has no services' key (401).
        case invalidToken = "invalid_token"
        /// Not a well-formed JWT, or claims of the wrong shape (401): fix the client.
        case tokenMalformed = "token_malformed"
        /// An algorithm outside the allow-list, e.g. `HS256`, `none` (401): fix the issuer's settings.
        case tokenAlgorithm = "token_algorithm"
        /// A unit token on a service route or the reverse (401): send the other token.
        case tokenWrongRealm = "token_wrong_realm"
        /// The signature does not verify with the configured key (401): the keys do not match.
        case tokenSignature = "token_signature"
        /// `iss` is not the configured issuer (401): configuration.
        case tokenIssuer = "token_issuer"
        /// `aud` does not name this gateway (401): configuration.
        case tokenAudience = "token_audience"
        /// Past `exp` (+ clock skew) (401): obtain a new token and retry.
        case tokenExpired = "token_expired"
        /// Before `nbf` (− clock skew) (401): the clocks differ; retry later.
        case tokenNotYetValid = "token_not_yet_valid"
        /// No key of the identity platform's key set (JWKS) has the token's `kid`, or it names none
        /// (401): a key retired after a rotation, or a token from another issuer; obtain a new token.
        case tokenUnknownKey = "token_unknown_key"
        /// The service token lacks the route's scope (403).
        case insufficientScope = "insufficient_scope"
        case notFound = "not_found"
        case routeNotFound = "route_not_found"
        case methodNotAllowed = "method_not_allowed"
        case invalidParameter = "invalid_parameter"
        case missingParameter = "missing_parameter"
        case tooLarge = "too_large"
        /// The body is not JSON, or not a JSON object (400).
        case invalidBody = "invalid_body"
        /// Fields are missing, of the wrong type or break a rule; `fields` names every one (400).
        case invalidRequest = "invalid_request"
        /// The association request was already decided (409).
        case notPending = "not_pending"
        /// The person is not a current employee (409).
        case notActive = "not_active"
        /// The unlink pre-check failed; `reasons` lists every reason (409).
        case unlinkRefused = "unlink_refused"
        /// The person already has a pending or current association with the unit (409).
        case alreadyExists = "already_exists"
        /// No unit has the association code (422).
        case unknownAssociationCode = "unknown_association_code"
        /// The association code's unit has not completed its profile: the code is not usable yet (409).
        case unitProfileIncomplete = "unit_profile_incomplete"
        /// A submission or handler maintenance while the profile has problems; `fields` names every one,
        /// prefixed with its step (409).
        case profileIncomplete = "profile_incomplete"
        /// A profile step that needs an earlier one (the unit type of general information) saved first (409).
        case profileStepOrder = "profile_step_order"
        /// The unit's current profile names the attachment a delete asks for (409).
        case attachmentInUse = "attachment_in_use"
        /// A withdrawal of a notice already withdrawn (409).
        case noticeWithdrawn = "notice_withdrawn"
        /// The request head (headers or URL) is over the parser's limit (431).
        case headersTooLarge = "headers_too_large"
        /// Not valid HTTP/1.1 (400; the connection closes).
        case malformedRequest = "malformed_request"
        case idempotencyKeyReused = "idempotency_key_reused"
        case idempotencyInProgress = "idempotency_in_progress"
        /// The caller is over its request budget (429, `Retry-After`).
        case rateLimited = "rate_limited"
        /// The kind's queue is too far behind to take more (503, `Retry-After`).
        case queueBacklogged = "queue_backlogged"
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
    /// For `insufficient_scope`: the scope the route needs (in `WWW-Authenticate`).
    public var scope: String?
    /// For `invalid_request`: every field that is missing, of the wrong type or breaks a rule.
    public var fields: [FieldProblem]?

    public init(
        _ code: Code, _ message: String, retryAfterSeconds: Int? = nil, reasons: [UnlinkReason]? = nil,
        scope: String? = nil, fields: [FieldProblem]? = nil
    ) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.reasons = reasons
        self.scope = scope
        self.fields = fields
    }

    /// `invalid_request` naming every problem (fields under `prefix`, e.g. `person`, when given).
    public static func invalidRequest(_ problems: [FieldProblem], within prefix: String? = nil) -> GatewayError {
        let fields = problems.map { problem in prefix.map { problem.within($0) } ?? problem }
        let message =
            fields.count == 1
            ? "\(fields[0].field): \(fields[0].message)" : "\(fields.count) fields are not valid (see fields)"
        return GatewayError(.invalidRequest, message, fields: fields)
    }

    /// Whether the code is one of a bearer token's problems (`WWW-Authenticate: … error="invalid_token"`).
    var isTokenProblem: Bool { code == .invalidToken || code.rawValue.hasPrefix("token_") }

    public var status: HTTPResponse.Status {
        switch code {
        case .unauthenticated, .invalidToken, .tokenMalformed, .tokenAlgorithm, .tokenWrongRealm, .tokenSignature,
            .tokenIssuer, .tokenAudience, .tokenExpired, .tokenNotYetValid, .tokenUnknownKey:
            .unauthorized
        case .insufficientScope: .forbidden
        case .notFound, .routeNotFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .invalidParameter, .missingParameter, .invalidBody, .invalidRequest: .badRequest
        case .unknownAssociationCode: .unprocessableContent
        case .notPending, .notActive, .unlinkRefused, .alreadyExists, .unitProfileIncomplete, .profileIncomplete,
            .profileStepOrder, .attachmentInUse, .noticeWithdrawn:
            .conflict
        case .tooLarge: .contentTooLarge
        case .headersTooLarge: .requestHeaderFieldsTooLarge
        case .malformedRequest: .badRequest
        case .idempotencyKeyReused, .idempotencyInProgress: .conflict
        case .rateLimited: .tooManyRequests
        case .brokerBlocked, .unavailable, .queueBacklogged: .serviceUnavailable
        case .internal: .internalServerError
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        if let challenge { headers[.wwwAuthenticate] = challenge }
        return JSONResponse.make(status: status, ErrorBody(self), headers: headers)
    }

    /// The `WWW-Authenticate` challenge (RFC 6750 §3): `Bearer realm="talent"` without a token, with
    /// `error="invalid_token"` and a description for a token's problem, `error="insufficient_scope"` and
    /// the scope for a missing scope; `nil` for every other error.
    var challenge: String? {
        // error_description: printable ASCII without `"` and `\` (RFC 6750 §3).
        let description = String(
            message.unicodeScalars.filter { (0x20...0x7E).contains($0.value) && $0 != "\"" && $0 != "\\" })
        if code == .unauthenticated { return "Bearer realm=\"talent\"" }
        if isTokenProblem {
            return "Bearer realm=\"talent\", error=\"invalid_token\", error_description=\"\(description)\""
        }
        if code == .insufficientScope {
            return "Bearer realm=\"talent\", error=\"insufficient_scope\", scope=\"\(scope ?? "")\""
        }
        return nil
    }

    struct ErrorBody: Codable {
        struct Detail: Codable {
            var code: Code
            var message: String
            var reasons: [UnlinkReason]?
            var fields: [FieldProblem]?
        }
        var error: Detail

        init(_ error: GatewayError) {
            self.error = Detail(
                code: error.code, message: error.message, reasons: error.reasons, fields: error.fields)
        }
    }
}
