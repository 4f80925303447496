import Foundation
import JWTKit
import TalentCore

/// The claims of the identity platform's signed assertion (a JWT, ES256).
///
/// `iss`, `aud`, `exp` and `nbf` are checked by ``BearerTokenCheck`` (with the clock skew), after the
/// signature.
public struct IdentityAssertion: BearerClaims, Sendable {
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    /// The operator's id at the identity platform.
    public var sub: SubjectClaim
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    public var nbf: NotBeforeClaim?
    public var jti: IDClaim?
    /// Unified social credit code of the unit (GB 32100-2015).
    public var unit: String
    public var unitName: String?
    public var loginMethod: LoginMethod

    enum CodingKeys: String, CodingKey {
        case iss, aud, sub, exp, iat, nbf, jti, unit
        case unitName = "unit_name"
        case loginMethod = "login_method"
    }

    public init(
        issuer: String, audience: String, subject: String, unit: String, unitName: String?,
        loginMethod: LoginMethod, lifetime: TimeInterval, now: Date = Date(), notBefore: Date? = nil
    ) {
        self.iss = IssuerClaim(value: issuer)
        self.aud = AudienceClaim(value: [audience])
        self.sub = SubjectClaim(value: subject)
        self.exp = ExpirationClaim(value: now.addingTimeInterval(lifetime))
        self.iat = IssuedAtClaim(value: now)
        self.nbf = notBefore.map { NotBeforeClaim(value: $0) }
        self.jti = IDClaim(value: UUID().uuidString)
        self.unit = unit
        self.unitName = unitName
        self.loginMethod = loginMethod
    }

    /// Nothing: ``BearerTokenCheck`` checks the claims.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
