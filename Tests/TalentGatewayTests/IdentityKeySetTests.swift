import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import TalentGateway

/// The identity platform's key set (JWKS, RFC 7517 §5) from a file and from a URL: reloads see a
/// rotation, a key removed is gone, keys that must not be trusted are ignored, a failed reload
/// keeps the keys it had.
@Suite("Identity key set")
struct IdentityKeySetTests {
    static let logger = Logger(label: "identity-key-set-test")

    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("jwks-test-\(UUID().uuidString)")
    }

    static func issuer(in folder: URL) async throws -> DevelopmentIssuer {
        try await DevelopmentIssuer(
            privateKeyPath: folder.appendingPathComponent("signing.pem").path,
            publicKeyPath: folder.appendingPathComponent("jwks.json").path)
    }

    @Test func aFileReloadSeesARotation() async throws {
        let first = try await Self.issuer(in: Self.folder())
        let keys = IdentityKeySet(source: .file(first.publicKeyPath), algorithms: ["ES256"], logger: Self.logger)
        #expect(try await keys.reload() == 1)
        #expect(keys.keyIds == [first.keyId])

        let second = try await first.rotate(keepPrevious: true)
        #expect(second.keyId != first.keyId)
        #expect(try await keys.reload() == 2)
        #expect(keys.keyIds == [first.keyId, second.keyId])

        let third = try await second.rotate(keepPrevious: false)
        try await keys.reload()
        #expect(keys.keyIds == [third.keyId])
        #expect(await keys.key(kid: first.keyId) == nil)
    }

    /// An unknown `kid` reloads at once (a new key works from its first token), at most every
    /// `minimumReloadInterval` (tokens cannot make the gateway hammer the platform).
    @Test func anUnknownKidReloadsAtMostEveryInterval() async throws {
        let first = try await Self.issuer(in: Self.folder())
        let eager = IdentityKeySet(
            source: .file(first.publicKeyPath), algorithms: ["ES256"], minimumReloadInterval: .zero, logger: Self.logger
        )
        let patient = IdentityKeySet(
            source: .file(first.publicKeyPath), algorithms: ["ES256"], minimumReloadInterval: .seconds(3600),
            logger: Self.logger)
        try await eager.reload()
        try await patient.reload()
        let second = try await first.rotate(keepPrevious: true)
        #expect(await eager.key(kid: second.keyId)?.algorithm == "ES256")
        #expect(await patient.key(kid: second.keyId) == nil)
    }

    /// Keys without `kid`, with a private part, or of an algorithm outside the allow-list are not
    /// used; a document with no usable key fails and the keys stay.
    @Test func untrustworthyKeysAreIgnored() async throws {
        let folder = Self.folder()
        let good = try await Self.issuer(in: folder)
        let path = folder.appendingPathComponent("mixed.json").path
        let privateKey = P256.Signing.PrivateKey()
        var withPrivatePart = DevelopmentIssuer.jwk(privateKey.publicKey)
        withPrivatePart["d"] = DevelopmentIssuer.base64URL(privateKey.rawRepresentation)
        var withoutKid = DevelopmentIssuer.jwk(P256.Signing.PrivateKey().publicKey)
        withoutKid["kid"] = nil
        // A symmetric key (HS256) in the document: never a verifying key here.
        let symmetric = [
            "kty": "oct", "k": DevelopmentIssuer.base64URL(Array("secret".utf8)), "kid": "hmac", "alg": "HS256",
        ]
        // A P-384 key (ES384) while the allow-list is ES256 only.
        let p384 = Array(P384.Signing.PrivateKey().publicKey.rawRepresentation)
        let outsideAllowList = [
            "kty": "EC", "crv": "P-384", "x": DevelopmentIssuer.base64URL(p384[0..<48]),
            "y": DevelopmentIssuer.base64URL(p384[48..<96]), "kid": "p384", "alg": "ES384",
        ]
        let goodKey = try #require(DevelopmentIssuer.readKeySet(good.publicKeyPath).first)
        try DevelopmentIssuer.writeKeySet(
            [withPrivatePart, withoutKid, symmetric, outsideAllowList, goodKey], to: path)
        let keys = IdentityKeySet(source: .file(path), algorithms: ["ES256"], logger: Self.logger)
        #expect(try await keys.reload() == 1)
        #expect(keys.keyIds == [good.keyId])
        let wider = IdentityKeySet(source: .file(path), algorithms: ["ES256", "ES384"], logger: Self.logger)
        #expect(try await wider.reload() == 2, "the P-384 key is usable once ES384 is allowed")

        try Data("not json".utf8).write(to: URL(fileURLWithPath: path))
        await #expect(throws: IdentityKeySet.LoadError.self) { try await keys.reload() }
        try FileManager.default.removeItem(atPath: path)
        await #expect(throws: IdentityKeySet.LoadError.self) { try await keys.reload() }
        #expect(keys.keyIds == [good.keyId], "a failed reload keeps the keys it had")

        // A well-formed document without a usable key is authoritative: every key is revoked.
        try DevelopmentIssuer.writeKeySet([withPrivatePart, withoutKid, symmetric], to: path)
        #expect(try await keys.reload() == 0)
        #expect(keys.keyIds.isEmpty)
    }

    /// Keys are fetched over https; plain http only from loopback (anyone on the path could add keys).
    @Test func plainHTTPIsRefusedExceptFromLoopback() async throws {
        let keys = IdentityKeySet(
            source: .url("http://idp.example.invalid/jwks.json"), algorithms: ["ES256"], logger: Self.logger)
        await #expect(throws: IdentityKeySet.LoadError.self) { try await keys.reload() }
        #expect(IdentityKeySet.isLoopback("http://127.0.0.1:8080/jwks.json"))
        #expect(IdentityKeySet.isLoopback("http://localhost/jwks.json"))
        #expect(!IdentityKeySet.isLoopback("http://127.example.com/jwks.json"))
        #expect(!IdentityKeySet.isLoopback("http://10.0.0.1/jwks.json"))
    }

    /// The same from an HTTP server (a live Hummingbird server in the test serving the document).
    @Test func aURLReloadSeesARotationAndSurvivesErrors() async throws {
        let first = try await Self.issuer(in: Self.folder())
        let failing = Mutex(false)
        let router = Router()
        router.get("/.well-known/jwks.json") { _, _ -> Response in
            if failing.withLock({ $0 }) { return Response(status: .internalServerError) }
            let document = try String(contentsOfFile: first.publicKeyPath, encoding: .utf8)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: document)))
        }
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            let port = try #require(client.port)
            let keys = IdentityKeySet(
                source: IdentityKeySource("http://127.0.0.1:\(port)/.well-known/jwks.json"), algorithms: ["ES256"],
                logger: Self.logger)
            #expect(try await keys.reload() == 1)
            #expect(keys.keyIds == [first.keyId])
            let second = try await first.rotate(keepPrevious: false)
            try await keys.reload()
            #expect(keys.keyIds == [second.keyId])
            failing.withLock { $0 = true }
            await #expect(throws: IdentityKeySet.LoadError.self) { try await keys.reload() }
            #expect(keys.keyIds == [second.keyId])
        }
    }

    /// The refresher service reloads on its own: a rotation is seen without any token asking.
    @Test func theRefresherSeesARotation() async throws {
        let first = try await Self.issuer(in: Self.folder())
        let keys = IdentityKeySet(source: .file(first.publicKeyPath), algorithms: ["ES256"], logger: Self.logger)
        try await keys.reload()
        let refresher = Task {
            try await IdentityKeyRefresher(keys: keys, intervalSeconds: 1, logger: Self.logger).run()
        }
        defer { refresher.cancel() }
        let second = try await first.rotate(keepPrevious: false)
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while keys.keyIds != [second.keyId], ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(keys.keyIds == [second.keyId])
    }

    @Test func sourcesAreReadFromConfiguration() {
        #expect(IdentityKeySource("https://idp.example/jwks") == .url("https://idp.example/jwks"))
        #expect(IdentityKeySource("file:///etc/talent/jwks.json") == .file("/etc/talent/jwks.json"))
        #expect(IdentityKeySource(".local/keys/jwks.json") == .file(".local/keys/jwks.json"))
    }
}
