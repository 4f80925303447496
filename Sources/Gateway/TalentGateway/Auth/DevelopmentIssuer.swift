import Crypto
import Foundation
import JWTKit

/// A local stand-in for the identity platform: keeps a P-256 signing key in a PEM file, publishes its
/// public keys as a JWKS document (RFC 7517 §5; `kid` = the key's RFC 7638 thumbprint) and mints
/// ES256 identity assertions naming that `kid`. ``rotate(keepPrevious:)`` replaces the signing key.
/// For local use and tests only.
public struct DevelopmentIssuer: Sendable {
    public static let defaultIssuer = "https://sso.beijing.gov.cn.local-dev"
    public static let defaultAudience = "talent-gateway"

    let keys: JWTKeyCollection
    public let issuer: String
    public let audience: String
    /// The signing key's file.
    public let privateKeyPath: String
    /// The public key: a JWKS document when it ends in `.json`, else a PEM file (service keys).
    public let publicKeyPath: String
    /// The signing key's `kid`.
    public let keyId: String

    /// Loads the signing key, creating it first when `privateKeyPath` does not exist, and makes sure the
    /// public file names it (a JWKS keeps its other keys).
    public init(
        privateKeyPath: String, publicKeyPath: String, issuer: String = defaultIssuer,
        audience: String = defaultAudience
    ) async throws {
        let fileManager = FileManager.default
        try fileManager.createDirectory(
            atPath: URL(fileURLWithPath: privateKeyPath).deletingLastPathComponent().path,
            withIntermediateDirectories: true)
        if !fileManager.fileExists(atPath: privateKeyPath) {
            try Self.write(P256.Signing.PrivateKey(), to: privateKeyPath)
        }
        let key = try P256.Signing.PrivateKey(
            pemRepresentation: String(contentsOfFile: privateKeyPath, encoding: .utf8))
        let keyId = Self.thumbprint(key.publicKey)
        if publicKeyPath.hasSuffix(".json") {
            var document = Self.readKeySet(publicKeyPath)
            if !document.contains(where: { $0["kid"] == keyId }) {
                document.insert(Self.jwk(key.publicKey), at: 0)
                try Self.writeKeySet(document, to: publicKeyPath)
            }
        } else if !fileManager.fileExists(atPath: publicKeyPath)
            || (try? String(contentsOfFile: publicKeyPath, encoding: .utf8)) != key.publicKey.pemRepresentation
        {
            try key.publicKey.pemRepresentation.write(toFile: publicKeyPath, atomically: true, encoding: .utf8)
        }
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(pem: key.pemRepresentation), kid: JWKIdentifier(string: keyId))
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.privateKeyPath = privateKeyPath
        self.publicKeyPath = publicKeyPath
        self.keyId = keyId
    }

    /// Replaces the signing key with a new one. The JWKS publishes the new key and, with
    /// `keepPrevious`, the keys it had (tokens signed before stay valid until the old keys are
    /// removed); without, only the new key (tokens of the old key are refused `token_unknown_key` once
    /// the gateway reloaded the set).
    /// - Returns: the issuer with the new key.
    public func rotate(keepPrevious: Bool) async throws -> DevelopmentIssuer {
        let key = P256.Signing.PrivateKey()
        if publicKeyPath.hasSuffix(".json") {
            let kept = keepPrevious ? Self.readKeySet(publicKeyPath) : []
            try Self.writeKeySet([Self.jwk(key.publicKey)] + kept, to: publicKeyPath)
        }
        try Self.write(key, to: privateKeyPath)
        return try await DevelopmentIssuer(
            privateKeyPath: privateKeyPath, publicKeyPath: publicKeyPath, issuer: issuer, audience: audience)
    }

    /// The `kid`s the JWKS publishes now (empty for a PEM public key).
    public var publishedKeyIds: [String] {
        Self.readKeySet(publicKeyPath).compactMap { $0["kid"] }
    }

    /// Mints a service-to-service token (audience ``ServiceTokenVerifier/audience``) for `service`.
    public func mintService(
        service: String = "personal-portal", scope: String = ServiceTokenVerifier.associationRequestsScope,
        lifetime: TimeInterval = 3600
    ) async throws -> String {
        try await keys.sign(
            ServiceAssertion(
                issuer: issuer, audience: ServiceTokenVerifier.audience, service: service, scope: scope,
                lifetime: lifetime),
            kid: JWKIdentifier(string: keyId))
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
        return try await keys.sign(assertion, kid: JWKIdentifier(string: keyId))
    }

    // MARK: Files

    static func write(_ key: P256.Signing.PrivateKey, to path: String) throws {
        try key.pemRepresentation.write(toFile: path, atomically: true, encoding: .utf8)
        _ = chmod(path, 0o600)
    }

    /// The public key as a JWK (EC, P-256, ES256, `use: sig`).
    static func jwk(_ key: P256.Signing.PublicKey) -> [String: String] {
        let (x, y) = coordinates(key)
        return ["kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": thumbprint(key), "alg": "ES256", "use": "sig"]
    }

    /// The x and y coordinates, base64url without padding (RFC 7518 §6.2.1).
    static func coordinates(_ key: P256.Signing.PublicKey) -> (String, String) {
        let raw = Array(key.rawRepresentation)
        return (base64URL(raw[0..<32]), base64URL(raw[32..<64]))
    }

    /// RFC 7638: SHA-256 over `{"crv","kty","x","y"}` in that order, without spaces, base64url.
    static func thumbprint(_ key: P256.Signing.PublicKey) -> String {
        let (x, y) = coordinates(key)
        let canonical = #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        return base64URL(SHA256.hash(data: Array(canonical.utf8)))
    }

    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func readKeySet(_ path: String) -> [[String: String]] {
        guard let data = FileManager.default.contents(atPath: path),
            let document = try? JSONDecoder().decode([String: [[String: String]]].self, from: data)
        else { return [] }
        return document["keys"] ?? []
    }

    static func writeKeySet(_ keys: [[String: String]], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(["keys": keys]).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
