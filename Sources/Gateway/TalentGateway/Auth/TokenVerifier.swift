import Foundation
import JWTKit
import TalentCore

/// Verifies bearer tokens: ES256 signature against the identity platform's public key (asymmetric
/// algorithms only: HS*/`none` tokens find no key and fail), issuer, audience, expiry, and a valid
/// unified social credit code in `unit`.
public struct TokenVerifier: Sendable {
    let keys: JWTKeyCollection
    let issuer: String
    let audience: String

    /// - Parameter publicKeyPEM: the issuer's P-256 public key (`-----BEGIN PUBLIC KEY-----`).
    /// - Throws: when the key cannot be read.
    public init(publicKeyPEM: String, issuer: String, audience: String) async throws {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PublicKey(pem: publicKeyPEM))
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
    }

    /// - Throws: ``GatewayError/Code/invalidToken``.
    public func verify(_ token: String) async throws(GatewayError) -> UnitIdentity {
        let assertion: IdentityAssertion
        do {
            assertion = try await keys.verify(token, as: IdentityAssertion.self)
        } catch {
            throw GatewayError(.invalidToken, "the token's signature, expiry or shape is not valid")
        }
        guard assertion.iss.value == issuer else { throw GatewayError(.invalidToken, "unexpected issuer") }
        guard assertion.aud.value.contains(audience) else { throw GatewayError(.invalidToken, "unexpected audience") }
        guard let unit = try? UnifiedSocialCreditCode(validating: assertion.unit) else {
            throw GatewayError(.invalidToken, "the token's unit is not a valid unified social credit code")
        }
        return UnitIdentity(
            unitId: unit, unitName: assertion.unitName, operatorId: assertion.sub.value,
            loginMethod: assertion.loginMethod, issuedAt: assertion.iat.value)
    }
}
