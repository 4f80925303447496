import AMQPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresClient
import TalentCore
import TalentGateway
import TalentStore
import TalentTestSupport
import Testing

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
    static func harness(conninfo: String? = nil) async throws -> Harness {
        let environment = try TestEnvironment.current()
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-router-\(UUID().uuidString)")
        let units = try await DevelopmentIssuer(
            privateKeyPath: keys.appendingPathComponent("unit.pem").path,
            publicKeyPath: keys.appendingPathComponent("unit.pub.pem").path)
        let services = try await DevelopmentIssuer(
            privateKeyPath: keys.appendingPathComponent("service.pem").path,
            publicKeyPath: keys.appendingPathComponent("service.pub.pem").path, issuer: "personal-portal-dev")
        var configuration = GatewayConfiguration(
            tokenPublicKeyPEM: try String(contentsOf: keys.appendingPathComponent("unit.pub.pem"), encoding: .utf8),
            tokenIssuer: DevelopmentIssuer.defaultIssuer)
        configuration.servicePublicKeyPEM = try String(
            contentsOf: keys.appendingPathComponent("service.pub.pem"), encoding: .utf8)
        let pool = PostgresPool(
            configuration: .init(conninfo: conninfo ?? environment.postgresConnInfo + " connect_timeout=2", size: 2))
        if conninfo == nil {
            // The schema, as the gateway expects it (concurrent runners are serialised by an advisory lock).
            let runner = MigrationRunner(directory: environment.schemasDirectory.appendingPathComponent("migrations"))
            _ = try await pool.withConnection { connection in try runner.apply(on: connection).count }
        }
        let connection = AMQPConnection(configuration: environment.amqpConfiguration(name: "gateway router test"))
        let gateway = try await GatewayApplication(
            configuration: configuration, pool: pool, connection: connection, logger: Logger(label: "router-test"))
        return Harness(gateway: gateway, units: units, services: services, pool: pool, connection: connection)
    }

    static let unit = UnifiedSocialCreditCode.make(organisationBody: "MA01RTEQ")!

    struct Reply {
        var status: Int
        var code: String?
        var body: String
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
                return Reply(status: Int(response.status.code), code: code, body: body)
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

    @Test func credentialsAreRefused() async throws {
        let harness = try await Self.harness()
        defer { Task { await harness.close() } }
        let none = try await Self.send(harness, .get, "/v1/employee-summary")
        #expect(none.status == 401)
        #expect(none.code == "unauthenticated")
        let garbage = try await Self.send(harness, .get, "/v1/employee-summary", token: "not.a.token")
        #expect(garbage.status == 401)
        #expect(garbage.code == "invalid_token")
        // An HS256 token (alg confusion) is refused whatever it says.
        func base64URL(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let forged =
            base64URL(#"{"alg":"HS256","typ":"JWT"}"#) + "."
            + base64URL(
                #"{"iss":"\#(DevelopmentIssuer.defaultIssuer)","aud":"talent-gateway","sub":"x","unit":"\#(Self.unit.rawValue)","exp":9999999999}"#
            )
            + ".c2lnbmF0dXJl"
        let hs256 = try await Self.send(harness, .get, "/v1/employee-summary", token: forged)
        #expect(hs256.status == 401)
        #expect(hs256.code == "invalid_token")
        // A unit token on the service route, a service token on a unit route.
        let unitToken = try await harness.units.mint(unit: Self.unit.rawValue)
        let serviceToken = try await harness.services.mintService()
        let unitOnService = try await Self.send(
            harness, .post, "/v1/service/association-requests", token: unitToken, json: "{}")
        #expect(unitOnService.status == 401)
        #expect(unitOnService.code == "invalid_token")
        let serviceOnUnit = try await Self.send(harness, .get, "/v1/employee-summary", token: serviceToken)
        #expect(serviceOnUnit.status == 401)
        #expect(serviceOnUnit.code == "invalid_token")
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
