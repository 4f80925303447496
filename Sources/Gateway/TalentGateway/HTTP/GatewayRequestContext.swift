import Hummingbird
import TalentCore

/// Per-request context: Hummingbird's core storage plus the authenticated unit, if any.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware`` on routes that require a unit token.
    public var identity: UnitIdentity?
    /// Set by ``ServiceAuthenticationMiddleware`` on service-to-service routes.
    public var service: ServiceIdentity?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.service = nil
    }

    /// The authenticated unit.
    /// - Throws: ``GatewayError/Code/unauthenticated`` when the route ran without authentication.
    func requireIdentity() throws -> UnitIdentity {
        guard let identity else { throw GatewayError(.unauthenticated, "a unit token is required") }
        return identity
    }

    /// The authenticated calling service.
    func requireService() throws -> ServiceIdentity {
        guard let service else { throw GatewayError(.unauthenticated, "a service token is required") }
        return service
    }
}
