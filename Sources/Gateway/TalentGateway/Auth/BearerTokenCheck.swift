import Foundation
import JWTKit

/// The checks every bearer token goes through, in this order, each failure answered `401` with its own
/// code so that a portal can tell "refresh the token" from "misconfigured key" (RFC 6750 §3.1:
/// `WWW-Authenticate: Bearer error="invalid_token"`; the specific code is in the body):
///
/// 1. a JWT at all (three base64url parts, JSON header and claims) — `token_malformed`;
/// 2. an algorithm of the allow-list (``algorithms``: asymmetric only, so `HS256` or `none` never reach
///    a key) — `token_algorithm`;
/// 3. the realm the route serves (a unit token on a service route and the reverse) — `token_wrong_realm`;
/// 4. with a key set (JWKS), the key its `kid` names — `token_unknown_key` (no `kid`, or one not in the
///    set: retired after a rotation) — used with its own algorithm only — `token_algorithm`;
/// 5. the signature, with this realm's key — `token_signature` (the claims are read only after it);
/// 6. `iss`, `aud` — `token_issuer`, `token_audience`;
/// 7. `exp`, `nbf` with a bounded clock skew (``clockSkew``) — `token_expired`, `token_not_yet_valid`.
///
/// Messages never say anything about the key.
struct BearerTokenCheck: Sendable {
    /// Which tokens a route takes.
    enum Realm: Sendable {
        /// Unit operators' identity tokens (a `unit` claim).
        case unit
        /// Upstream services' tokens (audience ``ServiceTokenVerifier/audience``, a `scope` claim).
        case service
    }

    /// Where the verifying key comes from.
    enum Keys: Sendable {
        /// One ES256 key (the services' PEM key).
        case fixed(JWTKeyCollection)
        /// The identity platform's key set, by `kid`.
        case keySet(IdentityKeySet)
    }

    /// How far the gateway's clock may be from the issuer's, in seconds, for `exp` and `nbf`.
    static let clockSkew: TimeInterval = 60

    let keys: Keys
    let realm: Realm
    /// `nil`: any issuer (service tokens name themselves; their key decides).
    let issuer: String?
    let audience: String

    /// Signature algorithms accepted (RFC 7518 names): the key set's allow-list, or ES256.
    var algorithms: Set<String> {
        switch keys {
        case .fixed: ["ES256"]
        case .keySet(let set): set.algorithms
        }
    }

    /// The claims read before the signature is checked: only to choose the error code.
    struct Unverified: JWTPayload {
        var unit: String?
        var scope: String?
        var aud: AudienceClaim?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// - Returns: the verified claims.
    /// - Throws: ``GatewayError`` with one of the `token_*` codes.
    func verify<Claims: BearerClaims>(_ token: String, as: Claims.Type, now: Date = Date()) async throws(GatewayError)
        -> Claims
    {
        let header: JWTHeader
        let unverified: Unverified
        do {
            (header, unverified, _) = try DefaultJWTParser().parse(Array(token.utf8), as: Unverified.self)
        } catch {
            throw GatewayError(.tokenMalformed, "the bearer token is not a well-formed JWT")
        }
        let algorithms = self.algorithms
        guard let algorithm = header.alg, algorithms.contains(algorithm) else {
            throw GatewayError(
                .tokenAlgorithm,
                "the token's algorithm \(header.alg ?? "(none)") is not accepted (\(algorithms.sorted().joined(separator: ", ")))"
            )
        }
        let servicesAudience = unverified.aud?.value.contains(ServiceTokenVerifier.audience) == true
        switch realm {
        case .unit where servicesAudience || (unverified.unit == nil && unverified.scope != nil):
            throw GatewayError(.tokenWrongRealm, "a service token is not accepted on unit routes; use a unit token")
        case .service where unverified.unit != nil && !servicesAudience:
            throw GatewayError(.tokenWrongRealm, "a unit token is not accepted on service routes; use a service token")
        default: break
        }
        let collection: JWTKeyCollection
        switch keys {
        case .fixed(let fixed): collection = fixed
        case .keySet(let set):
            guard let kid = header.kid, !kid.isEmpty else {
                throw GatewayError(.tokenUnknownKey, "the token names no key (kid)")
            }
            guard let key = await set.key(kid: kid) else {
                throw GatewayError(.tokenUnknownKey, "the token's key (kid) is not among the identity platform's keys")
            }
            guard key.algorithm == algorithm else {
                throw GatewayError(.tokenAlgorithm, "the token's algorithm \(algorithm) is not its key's")
            }
            collection = key.keys
        }
        let claims: Claims
        do {
            claims = try await collection.verify(token, as: Claims.self)
        } catch let error as JWTError where error.errorType == .malformedToken {
            throw GatewayError(.tokenMalformed, "the token's claims are not the expected ones")
        } catch {
            throw GatewayError(.tokenSignature, "the token's signature does not verify")
        }
        if let issuer, claims.iss.value != issuer {
            throw GatewayError(.tokenIssuer, "the token's issuer is not accepted")
        }
        guard claims.aud.value.contains(audience) else {
            throw GatewayError(.tokenAudience, "the token is not meant for this gateway (aud)")
        }
        guard claims.exp.value.addingTimeInterval(Self.clockSkew) > now else {
            throw GatewayError(.tokenExpired, "the token has expired; obtain a new one")
        }
        if let notBefore = claims.nbf?.value, notBefore.addingTimeInterval(-Self.clockSkew) > now {
            throw GatewayError(.tokenNotYetValid, "the token is not valid yet (nbf)")
        }
        return claims
    }
}

/// Registered claims ``BearerTokenCheck`` checks after the signature (the payload types' own
/// `verify(using:)` does nothing: these checks, with the clock skew, are the only ones).
protocol BearerClaims: JWTPayload {
    var iss: IssuerClaim { get }
    var aud: AudienceClaim { get }
    var exp: ExpirationClaim { get }
    var nbf: NotBeforeClaim? { get }
}
