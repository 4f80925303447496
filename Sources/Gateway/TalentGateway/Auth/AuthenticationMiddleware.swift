import Hummingbird

/// Requires `Authorization: Bearer <token>` and puts the verified unit in the request context.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let verifier: TokenVerifier

    func handle(
        _ request: Request, context: GatewayRequestContext,
        next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw GatewayError(.unauthenticated, "Authorization: Bearer <token> is required")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw GatewayError(.unauthenticated, "Authorization must use the Bearer scheme")
        }
        var context = context
        context.identity = try await verifier.verify(String(parts[1]))
        return try await next(request, context)
    }
}
