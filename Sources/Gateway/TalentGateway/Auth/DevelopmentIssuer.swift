import Crypto
import Foundation
import JWTKit

/// A local stand-in for the identity platform: keeps a P-256 key pair in two PEM files and mints
/// ES256 identity assertions with it. For local use and tests only.
public struct DevelopmentIssuer: Sendable {
    public static let defaultIssuer = "https://sso.beijing.gov.cn.local-dev"
    public static let defaultAudience = "talent-gateway"

    let keys: JWTKeyCollection
    public let issuer: String
    public let audience: String
    /// The key pair's files.
    public let privateKeyPath: String
    public let publicKeyPath: String

    /// Loads the key pair, creating it first when `privateKeyPath` does not exist.
    public init(
        privateKeyPath: String, publicKeyPath: String, issuer: String = defaultIssuer,
        audience: String = defaultAudience
    ) async throws {
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: privateKeyPath) {
            let key = P256.Signing.PrivateKey()
            try fileManager.createDirectory(
                atPath: URL(fileURLWithPath: privateKeyPath).deletingLastPathComponent().path,
                withIntermediateDirectories: true)
            try key.pemRepresentation.write(toFile: privateKeyPath, atomically: true, encoding: .utf8)
            try key.publicKey.pemRepresentation.write(toFile: publicKeyPath, atomically: true, encoding: .utf8)
            _ = chmod(privateKeyPath, 0o600)
        }
        let pem = try String(contentsOfFile: privateKeyPath, encoding: .utf8)
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(pem: pem))
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.privateKeyPath = privateKeyPath
        self.publicKeyPath = publicKeyPath
    }

    /// Mints a service-to-service token (audience ``ServiceTokenVerifier/audience``) for `service`.
    public func mintService(
        service: String = "personal-portal", scope: String = ServiceTokenVerifier.associationRequestsScope,
        lifetime: TimeInterval = 3600
    ) async throws -> String {
        try await keys.sign(
            ServiceAssertion(
                issuer: issuer, audience: ServiceTokenVerifier.audience, service: service, scope: scope,
                lifetime: lifetime))
    }

    /// Mints a token for `unit`, valid for `lifetime` seconds from now (negative: expired), and not
    /// before `notBefore` when given.
    public func mint(
        unit: String, unitName: String? = nil, operatorId: String = "operator-1",
        loginMethod: LoginMethod = .certificate, lifetime: TimeInterval = 3600, notBefore: Date? = nil
    ) async throws -> String {
        let assertion = IdentityAssertion(
            issuer: issuer, audience: audience, subject: operatorId, unit: unit, unitName: unitName,
            loginMethod: loginMethod, lifetime: lifetime, notBefore: notBefore)
        return try await keys.sign(assertion)
    }
}
