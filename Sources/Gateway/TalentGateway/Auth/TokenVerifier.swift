import Foundation
import JWTKit
import TalentCore

/// Verifies unit operators' bearer tokens (``BearerTokenCheck``: algorithm, realm, the key its `kid`
/// names in the identity platform's key set, signature, issuer, audience, expiry), then a valid
/// unified social credit code in `unit`.
public struct TokenVerifier: Sendable {
    let check: BearerTokenCheck
    public let keys: IdentityKeySet

    /// - Parameter keys: the identity platform's key set (loaded by the caller, reloaded by
    ///   ``IdentityKeyRefresher``).
    public init(keys: IdentityKeySet, issuer: String, audience: String) {
        self.keys = keys
        check = BearerTokenCheck(keys: .keySet(keys), realm: .unit, issuer: issuer, audience: audience)
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
