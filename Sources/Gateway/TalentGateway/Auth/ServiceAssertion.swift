import Foundation
import JWTKit

/// The claims of a service-to-service token (a JWT, ES256) from an upstream system such as the
/// personal-edition portal (个人版). Verified with its own public key and audience, never with a unit's.
public struct ServiceAssertion: JWTPayload, Sendable {
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    /// The calling service, e.g. `personal-portal`.
    public var sub: SubjectClaim
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    /// Space-separated permissions, e.g. `association_requests`.
    public var scope: String

    public init(
        issuer: String, audience: String, service: String, scope: String, lifetime: TimeInterval, now: Date = Date()
    ) {
        self.iss = IssuerClaim(value: issuer)
        self.aud = AudienceClaim(value: [audience])
        self.sub = SubjectClaim(value: service)
        self.exp = ExpirationClaim(value: now.addingTimeInterval(lifetime))
        self.iat = IssuedAtClaim(value: now)
        self.scope = scope
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// A verified calling service.
public struct ServiceIdentity: Sendable, Hashable {
    public var service: String
    public var scopes: Set<String>
}

/// Verifies service tokens: ES256 signature against the services' public key, audience, expiry, and
/// the scope an operation needs.
public struct ServiceTokenVerifier: Sendable {
    /// The audience service tokens must name.
    public static let audience = "talent-gateway-services"
    /// The scope that allows submitting association requests.
    public static let associationRequestsScope = "association_requests"

    let keys: JWTKeyCollection?

    /// - Parameter publicKeyPEM: the services' P-256 public key; `nil` disables service endpoints
    ///   (every service token is refused).
    public init(publicKeyPEM: String?) async throws {
        if let publicKeyPEM {
            let keys = JWTKeyCollection()
            await keys.add(ecdsa: try ES256PublicKey(pem: publicKeyPEM))
            self.keys = keys
        } else {
            self.keys = nil
        }
    }

    /// - Throws: ``GatewayError/Code/invalidToken``.
    public func verify(_ token: String) async throws(GatewayError) -> ServiceIdentity {
        guard let keys else { throw GatewayError(.invalidToken, "service tokens are not accepted by this gateway") }
        let assertion: ServiceAssertion
        do {
            assertion = try await keys.verify(token, as: ServiceAssertion.self)
        } catch {
            throw GatewayError(.invalidToken, "the service token's signature, expiry or shape is not valid")
        }
        guard assertion.aud.value.contains(Self.audience) else {
            throw GatewayError(.invalidToken, "unexpected audience")
        }
        return ServiceIdentity(
            service: assertion.sub.value, scopes: Set(assertion.scope.split(separator: " ").map(String.init)))
    }
}
