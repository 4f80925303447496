import Hummingbird
import TalentCore

/// Per-request context: Hummingbird's core storage plus the authenticated unit, if any.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware`` on routes that require a unit token.
    public var identity: UnitIdentity?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.identity = nil
    }

    /// The authenticated unit.
    /// - Throws: ``GatewayError/Code/unauthenticated`` when the route ran without authentication.
    func requireIdentity() throws -> UnitIdentity {
        guard let identity else { throw GatewayError(.unauthenticated, "a unit token is required") }
        return identity
    }
}
