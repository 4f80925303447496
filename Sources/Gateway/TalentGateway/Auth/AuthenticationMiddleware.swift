import Hummingbird

/// Requires `Authorization: Bearer <token>`, takes a token of the unit's request budget (429 beyond
/// it: ``RequestBudgets``) and puts the verified unit in the request context.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let verifier: TokenVerifier
    let logins: LoginRecorder
    let budgets: RequestBudgets

    func handle(
        _ request: Request, context: GatewayRequestContext,
        next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let token = try request.bearerToken()
        let identity = try await verifier.verify(token)
        try budgets.admit(identity.caller)
        context.identity = identity
        await logins.record(token: token, identity: identity, logger: context.logger)
        return try await next(request, context)
    }
}

/// Requires a service token (`Authorization: Bearer <token>`) with `scope` (any scope when `nil`) and
/// puts the verified service in the request context. Unit tokens are refused: they are signed by
/// another key.
struct ServiceAuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let verifier: ServiceTokenVerifier
    let scope: String?
    let budgets: RequestBudgets

    func handle(
        _ request: Request, context: GatewayRequestContext,
        next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        let service = try await verifier.verify(try request.bearerToken())
        if let scope, !service.scopes.contains(scope) {
            throw GatewayError(.insufficientScope, "the service token lacks the \(scope) scope", scope: scope)
        }
        try budgets.admit(service.caller)
        var context = context
        context.service = service
        return try await next(request, context)
    }
}

extension Request {
    /// The token of `Authorization: Bearer <token>`.
    /// - Throws: ``GatewayError/Code/unauthenticated``.
    func bearerToken() throws(GatewayError) -> String {
        guard let header = headers[.authorization] else {
            throw GatewayError(.unauthenticated, "Authorization: Bearer <token> is required")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw GatewayError(.unauthenticated, "Authorization must use the Bearer scheme")
        }
        return String(parts[1])
    }
}
