import Foundation
import JWTKit
import TalentCore

/// Verifies unit operators' bearer tokens (``BearerTokenCheck``: algorithm, realm, ES256 signature
/// against the identity platform's public key, issuer, audience, expiry), then a valid unified social
/// credit code in `unit`.
public struct TokenVerifier: Sendable {
    let check: BearerTokenCheck

    /// - Parameter publicKeyPEM: the issuer's P-256 public key (`-----BEGIN PUBLIC KEY-----`).
    /// - Throws: when the key cannot be read.
    public init(publicKeyPEM: String, issuer: String, audience: String) async throws {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PublicKey(pem: publicKeyPEM))
        check = BearerTokenCheck(keys: keys, realm: .unit, issuer: issuer, audience: audience)
    }

    /// - Parameter now: the time `exp` and `nbf` are compared with.
    /// - Throws: ``GatewayError`` with a `token_*` code (``BearerTokenCheck``).
    public func verify(_ token: String, now: Date = Date()) async throws(GatewayError) -> UnitIdentity {
        let assertion = try await check.verify(token, as: IdentityAssertion.self, now: now)
        guard let unit = try? UnifiedSocialCreditCode(validating: assertion.unit) else {
            throw GatewayError(.tokenMalformed, "the token's unit is not a valid unified social credit code")
        }
        return UnitIdentity(
            unitId: unit, unitName: assertion.unitName, operatorId: assertion.sub.value,
            loginMethod: assertion.loginMethod, issuedAt: assertion.iat.value)
    }
}
