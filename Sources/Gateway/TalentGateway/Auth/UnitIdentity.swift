import Foundation
import TalentCore

/// The unit and operator a request acts for, from a verified identity assertion (PRODUCT.md §1).
public struct UnitIdentity: Sendable, Hashable {
    public var unitId: UnifiedSocialCreditCode
    public var unitName: String?
    /// The operator (经办人) the identity platform authenticated.
    public var operatorId: String
    public var loginMethod: LoginMethod
    /// When the identity platform issued the assertion (`iat`).
    public var issuedAt: Date?

    /// Whom its idempotency keys and jobs belong to: `unit:<code>`.
    var caller: String { "unit:" + unitId.rawValue }
}

/// How the unit logged in to the Beijing unified identity platform (北京市统一身份认证平台).
public enum LoginMethod: String, Codable, Sendable, CaseIterable {
    /// USB key certificate or 一证通 scan (证书).
    case certificate
    /// Password + captcha (口令).
    case password
    /// Electronic business licence (电子营业执照).
    case businessLicence = "business_licence"
    /// Public-institution e-licence (事业单位电子证照).
    case publicInstitutionLicence = "public_institution_licence"
}
