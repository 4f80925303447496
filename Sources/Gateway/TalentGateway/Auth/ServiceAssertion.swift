import Foundation
import JWTKit

/// The claims of a service-to-service token (a JWT, ES256) from an upstream system such as the
/// personal-edition portal (个人版). Verified with its own public key and audience, never with a unit's.
public struct ServiceAssertion: BearerClaims, Sendable {
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    /// The calling service, e.g. `personal-portal`.
    public var sub: SubjectClaim
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    public var nbf: NotBeforeClaim?
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
        self.nbf = nil
        self.scope = scope
    }

    /// Nothing: ``BearerTokenCheck`` checks the claims.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// A verified calling service.
public struct ServiceIdentity: Sendable, Hashable {
    public var service: String
    public var scopes: Set<String>

    /// Whom its idempotency keys and jobs belong to: `service:<name>`.
    var caller: String { "service:" + service }
}

/// Verifies service tokens (``BearerTokenCheck``: algorithm, realm, ES256 signature against the
/// services' public key, audience, expiry); routes check the scope they need.
public struct ServiceTokenVerifier: Sendable {
    /// The audience service tokens must name.
    public static let audience = "talent-gateway-services"
    /// The scope that allows submitting association requests.
    public static let associationRequestsScope = "association_requests"
    /// The scope that allows publishing, reading and withdrawing policy notices.
    public static let noticesScope = "notices"
    /// The scope that allows updating the credit restriction list (信用限制名单).
    public static let creditListScope = "credit_list"
    /// The scope that allows reporting changes of units' registration.
    public static let registrationChangesScope = "registration_changes"
    /// The scope that allows reporting business items (业务事项).
    public static let businessItemsScope = "business_items"

    let check: BearerTokenCheck?

    /// - Parameter publicKeyPEM: the services' P-256 public key; `nil` disables service endpoints
    ///   (every service token is refused).
    public init(publicKeyPEM: String?) async throws {
        if let publicKeyPEM {
            let keys = JWTKeyCollection()
            await keys.add(ecdsa: try ES256PublicKey(pem: publicKeyPEM))
            check = BearerTokenCheck(keys: .fixed(keys), realm: .service, issuer: nil, audience: Self.audience)
        } else {
            check = nil
        }
    }

    /// - Throws: ``GatewayError`` with a `token_*` code (``BearerTokenCheck``), or `invalid_token`
    ///   when this gateway has no services' key.
    public func verify(_ token: String, now: Date = Date()) async throws(GatewayError) -> ServiceIdentity {
        guard let check else { throw GatewayError(.invalidToken, "service tokens are not accepted by this gateway") }
        let assertion = try await check.verify(token, as: ServiceAssertion.self, now: now)
        return ServiceIdentity(
            service: assertion.sub.value, scopes: Set(assertion.scope.split(separator: " ").map(String.init)))
    }
}
