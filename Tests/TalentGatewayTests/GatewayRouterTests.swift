import AMQPClient
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresClient
import TalentCore
import TalentStore
import TalentTestSupport
import Testing

@testable import TalentGateway

/// The gateway's router in process (HummingbirdTesting, no server process): routing, refusals of
/// credentials, error mapping and the order of checks. Storage is the test database; nothing here
/// publishes a job.
@Suite("Gateway router")
struct GatewayRouterTests {
    struct Harness {
        let gateway: GatewayApplication
        let units: DevelopmentIssuer
        let services: DevelopmentIssuer
        let pool: PostgresPool
        let connection: AMQPConnection

        func close() async {
            await connection.close()
            pool.shutdown()
        }
    }

    /// A gateway on the test services (or on `conninfo`), with throw-away key pairs.
    static func harness(
        conninfo: String? = nil, configure: (inout GatewayConfiguration) -> Void = { _ in },
        replica: ((PostgresPool) -> ReplicaMonitor)? = nil
    ) async throws -> Harness {
        let environment = try TestEnvironment.current()
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-router-\(UUID().uuidString)")
        let units = try await DevelopmentIssuer(
            privateKeyPath: keys.appendingPathComponent("unit.pem").path,
            publicKeyPath: keys.appendingPathComponent("jwks.json").path)
        let services = try await DevelopmentIssuer(
            privateKeyPath: keys.appendingPathComponent("service.pem").path,
            publicKeyPath: keys.appendingPathComponent("service.pub.pem").path, issuer: "personal-portal-dev")
        var configuration = GatewayConfiguration(
            identityKeys: .file(units.publicKeyPath), tokenIssuer: DevelopmentIssuer.defaultIssuer)
        configuration.servicePublicKeyPEM = try String(
            contentsOf: keys.appendingPathComponent("service.pub.pem"), encoding: .utf8)
        configure(&configuration)
        let pool = PostgresPool(
            configuration: .init(conninfo: conninfo ?? environment.postgresConnInfo + " connect_timeout=2", size: 2))
        if conninfo == nil {
            // The schema, as the gateway expects it (concurrent runners are serialised by an advisory lock).
            let runner = MigrationRunner(directory: environment.schemasDirectory.appendingPathComponent("migrations"))
            _ = try await pool.withConnection { connection in try runner.apply(on: connection).count }
        }
        let connection = AMQPConnection(configuration: environment.amqpConfiguration(name: "gateway router test"))
        let gateway = try await GatewayApplication(
            configuration: configuration, pool: pool, connection: connection, replica: replica?(pool),
            logger: Logger(label: "router-test"))
        return Harness(gateway: gateway, units: units, services: services, pool: pool, connection: connection)
    }

    static let unit = UnifiedSocialCreditCode.make(organisationBody: "MA01RTEQ")!

    struct Reply {
        var status: Int
        var code: String?
        var body: String
        var headers: HTTPFields = [:]
    }

    static func send(
        _ harness: Harness, _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil
    ) async throws -> Reply {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        if json != nil { fields[.contentType] = "application/json" }
        let headers = fields
        return try await harness.gateway.application().test(.router) { client in
            try await client.execute(
                uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }
            ) { response in
                let body = String(buffer: response.body)
                let error = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                let code = (error?["error"] as? [String: Any])?["code"] as? String
                return Reply(status: Int(response.status.code), code: code, body: body, headers: response.headers)
            }
        }
    }

    @Test func unknownRoutesAndMethodsAreMapped() async throws {
        let harness = try await Self.harness()
        defer { Task { await harness.close() } }
        let missing = try await Self.send(harness, .get, "/v1/nowhere")
        #expect(missing.status == 404)
        #expect(missing.code == "route_not_found")
        let wrongMethod = try await Self.send(harness, .delete, "/v1/employee-summary")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.code == "method_not_allowed")
    }

    static func base64URL(_ text: String) -> String { base64URL(Data(text.utf8)) }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Each token problem has its own code (a portal can tell "refresh the token" from "misconfigured
    /// key") and the RFC 6750 challenge; nothing about the key is said.
    @Test func everyTokenProblemHasItsOwnCode() async throws {
        let harness = try await Self.harness()
        defer { Task { await harness.close() } }
        let none = try await Self.send(harness, .get, "/v1/employee-summary")
        #expect(none.status == 401)
        #expect(none.code == "unauthenticated")
        #expect(none.headers[.wwwAuthenticate] == "Bearer realm=\"talent\"")

        let unit = Self.unit.rawValue
        let claims =
            #"{"iss":"\#(DevelopmentIssuer.defaultIssuer)","aud":"talent-gateway","sub":"x","unit":"\#(unit)","exp":9999999999,"iat":1,"login_method":"certificate"}"#
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("token-codes-\(UUID().uuidString)")
        let otherKey = try await DevelopmentIssuer(
            privateKeyPath: keys.appendingPathComponent("other.pem").path,
            publicKeyPath: keys.appendingPathComponent("other.json").path)
        let unitKeyPaths = (harness.units.privateKeyPath, harness.units.publicKeyPath)
        let otherIssuer = try await DevelopmentIssuer(
            privateKeyPath: unitKeyPaths.0, publicKeyPath: unitKeyPaths.1, issuer: "https://elsewhere.example")
        let otherAudience = try await DevelopmentIssuer(
            privateKeyPath: unitKeyPaths.0, publicKeyPath: unitKeyPaths.1, audience: "another-gateway")
        let kid = harness.units.keyId
        // A good token's header and claims with another key's signature.
        let good = try await harness.units.mint(unit: unit).split(separator: ".")
        let foreign = try await otherKey.mint(unit: unit).split(separator: ".")
        let wrongSignature = "\(good[0]).\(good[1]).\(foreign[2])"
        // HS256 "signed" with the published public key as the HMAC secret (algorithm confusion).
        let publicKeyText = try String(contentsOfFile: harness.units.publicKeyPath, encoding: .utf8)
        let confusedInput =
            Self.base64URL(#"{"alg":"HS256","typ":"JWT","kid":"\#(kid)"}"#) + "." + Self.base64URL(claims)
        let confusedMAC = HMAC<SHA256>.authenticationCode(
            for: Data(confusedInput.utf8), using: SymmetricKey(data: Data(publicKeyText.utf8)))
        let confused = confusedInput + "." + Self.base64URL(Data(confusedMAC))
        let cases: [(String, String, String)] = [
            ("garbage", "not.a.token", "token_malformed"),
            ("two parts", "abc.def", "token_malformed"),
            ("HS256 with the public key as the secret", confused, "token_algorithm"),
            (
                "alg none",
                Self.base64URL(#"{"alg":"none","kid":"\#(kid)"}"#) + "." + Self.base64URL(claims) + ".",
                "token_algorithm"
            ),
            (
                "RS256 (allowed by nobody here)",
                Self.base64URL(#"{"alg":"RS256","kid":"\#(kid)"}"#) + "." + Self.base64URL(claims) + ".c2ln",
                "token_algorithm"
            ),
            ("wrong signature", wrongSignature, "token_signature"),
            (
                "ES384 (allowed) with the ES256 key's kid",
                Self.base64URL(#"{"alg":"ES384","kid":"\#(kid)"}"#) + "." + Self.base64URL(claims) + "." + good[2],
                "token_algorithm"
            ),
            ("another key (kid not published)", try await otherKey.mint(unit: unit), "token_unknown_key"),
            (
                "no kid", Self.base64URL(#"{"alg":"ES256"}"#) + "." + Self.base64URL(claims) + "." + foreign[2],
                "token_unknown_key"
            ),
            ("another issuer", try await otherIssuer.mint(unit: unit), "token_issuer"),
            ("another audience", try await otherAudience.mint(unit: unit), "token_audience"),
            ("expired", try await harness.units.mint(unit: unit, lifetime: -3600), "token_expired"),
            (
                "not yet valid", try await harness.units.mint(unit: unit, notBefore: Date().addingTimeInterval(3600)),
                "token_not_yet_valid"
            ),
            ("a service token on a unit route", try await harness.services.mintService(), "token_wrong_realm"),
            ("a unit that fails GB 32100", try await harness.units.mint(unit: "91350100M000100Y44"), "token_malformed"),
        ]
        for (name, token, code) in cases {
            let reply = try await Self.send(harness, .get, "/v1/employee-summary", token: token)
            #expect(reply.status == 401, "\(name)")
            #expect(reply.code == code, "\(name): \(reply.body)")
            let challenge = reply.headers[.wwwAuthenticate] ?? ""
            #expect(
                challenge.hasPrefix("Bearer realm=\"talent\", error=\"invalid_token\", error_description=\""), "\(name)"
            )
            #expect(!reply.body.contains("BEGIN") && !reply.body.lowercased().contains("pem"), "\(name)")
        }
        // Within the clock skew (60 s) a just-expired token still passes, and so does one valid in 10 s.
        let justExpired = try await harness.units.mint(unit: unit, lifetime: -10)
        #expect(try await Self.send(harness, .get, "/v1/employee-summary", token: justExpired).status == 200)
        let almostValid = try await harness.units.mint(unit: unit, notBefore: Date().addingTimeInterval(10))
        #expect(try await Self.send(harness, .get, "/v1/employee-summary", token: almostValid).status == 200)

        // A unit token on the service route; a service token without the route's scope.
        let unitOnService = try await Self.send(
            harness, .post, "/v1/service/association-requests", token: try await harness.units.mint(unit: unit),
            json: "{}")
        #expect(unitOnService.status == 401)
        #expect(unitOnService.code == "token_wrong_realm")
        let noScope = try await Self.send(
            harness, .post, "/v1/service/association-requests",
            token: try await harness.services.mintService(scope: "notices"), json: "{}")
        #expect(noScope.status == 403)
        #expect(noScope.code == "insufficient_scope")
        #expect(
            noScope.headers[.wwwAuthenticate]
                == "Bearer realm=\"talent\", error=\"insufficient_scope\", scope=\"association_requests\"")
    }

    /// A rotation that keeps the previous key accepts both; one that removes it refuses the old key's
    /// tokens `token_unknown_key` from the next reload on.
    @Test func aKeyRemovedAfterRotationIsRefused() async throws {
        let harness = try await Self.harness()
        defer { Task { await harness.close() } }
        let unit = Self.unit.rawValue
        let old = try await harness.units.mint(unit: unit)
        let kept = try await harness.units.rotate(keepPrevious: true)
        try await harness.gateway.verifier.keys.reload()
        #expect(try await Self.send(harness, .get, "/v1/employee-summary", token: old).status == 200)
        #expect(
            try await Self.send(harness, .get, "/v1/employee-summary", token: try await kept.mint(unit: unit)).status
                == 200)
        let replaced = try await kept.rotate(keepPrevious: false)
        try await harness.gateway.verifier.keys.reload()
        let refused = try await Self.send(harness, .get, "/v1/employee-summary", token: old)
        #expect(refused.status == 401)
        #expect(refused.code == "token_unknown_key", "\(refused.body)")
        #expect(
            try await Self.send(harness, .get, "/v1/employee-summary", token: try await replaced.mint(unit: unit))
                .status == 200)
    }

    /// Authorization headers that are not a bearer token: each its own code.
    @Test func malformedAuthorizationHeadersAreRefused() async throws {
        let harness = try await Self.harness()
        defer { Task { await harness.close() } }
        let token = try await harness.units.mint(unit: Self.unit.rawValue)
        let cases: [(String, String, String)] = [
            ("basic scheme", "Basic dXNlcjpwYXNz", "unauthenticated"),
            ("scheme only", "Bearer", "unauthenticated"),
            ("empty token (trailing space trimmed: the scheme alone)", "Bearer ", "unauthenticated"),
            ("two tokens", "Bearer \(token) \(token)", "token_malformed"),
            ("not base64url", "Bearer !!!.###.$$$", "token_malformed"),
            (
                "JSON that is no JWT header",
                "Bearer " + Self.base64URL("[1,2]") + "." + Self.base64URL("{}") + ".c2ln", "token_malformed"
            ),
        ]
        for (name, header, code) in cases {
            var fields = HTTPFields()
            fields[.authorization] = header
            let headers = fields
            let reply = try await harness.gateway.application().test(.router) { client in
                try await client.execute(uri: "/v1/employee-summary", method: .get, headers: headers) { response in
                    (
                        Int(response.status.code),
                        ((try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)))
                            as? [String: [String: Any]])?["error"]?["code"] as? String
                    )
                }
            }
            #expect(reply.0 == 401, "\(name)")
            #expect(reply.1 == code, "\(name)")
        }
    }

    /// A unit over its request budget gets 429 with Retry-After; another unit goes on.
    @Test func aUnitOverItsBudgetIsRefusedAlone() async throws {
        let harness = try await Self.harness { configuration in
            configuration.unitRequestsPerSecond = 0.5
            configuration.unitRequestBurst = 3
        }
        defer { Task { await harness.close() } }
        let flooding = try await harness.units.mint(unit: Self.unit.rawValue)
        for _ in 0..<3 {
            #expect(try await Self.send(harness, .get, "/v1/employee-summary", token: flooding).status == 200)
        }
        let refused = try await Self.send(harness, .get, "/v1/employee-summary", token: flooding)
        #expect(refused.status == 429)
        #expect(refused.code == "rate_limited")
        // The wait until one token is back (rate 0.5/s: at most 2 s, less when the requests were slow).
        #expect(["1", "2"].contains(refused.headers[.retryAfter] ?? ""), "\(refused.headers)")
        let other = try await harness.units.mint(
            unit: UnifiedSocialCreditCode.make(organisationBody: "MA01RTFQ")!.rawValue)
        #expect(try await Self.send(harness, .get, "/v1/employee-summary", token: other).status == 200)
    }

    /// While enough of a kind's jobs have waited longer than the bound, new jobs of that kind get 503
    /// with Retry-After; reads and the other kind go on; one old job fewer and it admits again.
    @Test func aBackloggedKindIsRefusedAtTheDoor() async throws {
        let harness = try await Self.harness {
            $0.admissionMaxQueuedAgeSeconds = 60
            $0.admissionMinOldJobs = 10
        }
        defer { Task { await harness.close() } }
        harness.gateway.admission.update(oldJobs: [.associationDecision: 10, .attachmentValidation: 9])
        let token = try await harness.units.mint(unit: Self.unit.rawValue)
        let refused = try await Self.send(
            harness, .post, "/v1/association-requests/\(UUID().uuidString)/approval", token: token,
            json: #"{"entryDate":"2025-01-01","position":"分析师"}"#)
        #expect(refused.status == 503)
        #expect(refused.code == "queue_backlogged")
        #expect(refused.headers[.retryAfter] == "30")
        #expect(try await Self.send(harness, .get, "/v1/employee-summary", token: token).status == 200)
        let service = try await Self.send(
            harness, .post, "/v1/service/association-requests", token: try await harness.services.mintService(),
            json:
                #"{"associationCode":"K7M2Q9XA","person":{"name":"甲","residentId":"1","education":[],"workHistory":[]}}"#
        )
        #expect(service.code == "queue_backlogged")
        harness.gateway.admission.update(oldJobs: [.associationDecision: 9])
        let admitted = try await Self.send(
            harness, .post, "/v1/association-requests/\(UUID().uuidString)/approval", token: token,
            json: #"{"entryDate":"2025-01-01","position":"分析师"}"#)
        #expect(admitted.status == 404)
    }

    /// A decision on an association that does not exist answers 404 even when its form breaks a rule
    /// (the form is judged only once the target is known).
    @Test func missingTargetsAnswer404BeforeFormErrors() async throws {
        let harness = try await Self.harness()
        defer { Task { await harness.close() } }
        let token = try await harness.units.mint(unit: Self.unit.rawValue)
        let reply = try await Self.send(
            harness, .post, "/v1/association-requests/\(UUID().uuidString)/approval", token: token,
            json: #"{"entryDate":"2025-01-01","position":""}"#)
        #expect(reply.status == 404, "\(reply.body)")
        #expect(reply.code == "not_found")
        let malformed = try await Self.send(
            harness, .post, "/v1/association-requests/not-a-uuid/approval", token: token, json: "{}")
        #expect(malformed.status == 400 || malformed.status == 404, "\(malformed.body)")
    }

    /// Storage trouble answers 503 with `Retry-After` and a generic message: no SQL, no libpq text.
    @Test func storageFailuresNeverLeakInternals() async throws {
        let harness = try await Self.harness(conninfo: "host=127.0.0.1 port=1 dbname=nothing connect_timeout=1")
        defer { Task { await harness.close() } }
        let token = try await harness.units.mint(unit: Self.unit.rawValue)
        let reply = try await Self.send(harness, .get, "/v1/employee-summary", token: token)
        #expect(reply.status == 503)
        #expect(reply.code == "unavailable")
        for leak in ["127.0.0.1", "port", "libpq", "connection to server", "SELECT", "PostgresError"] {
            #expect(!reply.body.contains(leak), "the body leaks '\(leak)': \(reply.body)")
        }
    }
}
