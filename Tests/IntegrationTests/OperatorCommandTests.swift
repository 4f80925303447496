import Foundation
import Logging
import PostgresClient
import TalentCore
import TalentGateway
import TalentTestSupport
import Testing

/// The operator's commands against the real services: a clear error at once when a service is
/// unreachable, `status` tables with their header lines, `jobs show`.
@Suite("talentctl operator commands")
struct OperatorCommandTests {
    static func run(_ arguments: [String], extra: [String: String] = [:]) async throws -> (status: Int32, text: String)
    {
        let environment = try TestEnvironment.current()
        let output = environment.runDirectory.appendingPathComponent("talentctl-\(UUID().uuidString).txt").path
        let pid = try ChildProcess.spawn(
            environment.binDirectory.appendingPathComponent("talentctl").path, arguments,
            environment: environment.processEnvironment(extra: extra), output: output)
        let status = ChildProcess.exitCode(await ChildProcess.wait(pid))
        return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    /// Before: `status` retried for about two minutes. Now it names the service within seconds (exit 69).
    @Test func unreachableBrokerIsNamedAtOnce() async throws {
        let started = ContinuousClock.now
        let result = try await Self.run(["status"], extra: ["TALENT_AMQP_PORT": "1"])
        #expect(result.status == 69)
        #expect(result.text.contains("cannot reach RabbitMQ at 127.0.0.1:1"), "\(result.text)")
        #expect(started.duration(to: .now) < .seconds(20))
    }

    /// Before: a code failing GB 32100 was accepted and every upload then failed `invalid_token`.
    @Test(arguments: [["token", "--unit", "91350100M000100Y44"], ["upload", "/tmp", "--unit", "123"]])
    func anInvalidUnitCodeIsRefusedAtOnce(arguments: [String]) async throws {
        let result = try await Self.run(arguments)
        #expect(result.status == 64)
        #expect(result.text.contains("is not a unified social credit code (GB 32100-2015)"), "\(result.text)")
    }

    /// Before: `upload` waited forever when the gateway was down.
    @Test func unreachableGatewayIsNamedAtOnce() async throws {
        let environment = try TestEnvironment.current()
        let result = try await Self.run([
            "upload", environment.corpusDirectory.appendingPathComponent("files").path, "--gateway",
            "http://127.0.0.1:1",
        ])
        #expect(result.status == 69)
        #expect(result.text.contains("cannot reach the gateway at 127.0.0.1:1"), "\(result.text)")
    }

    @Test func statusPrintsItsTablesWithHeaders() async throws {
        // The migrated database and declared topology (whatever test runs first).
        _ = try await SharedSystem.instance.get()
        let result = try await Self.run(["status", "--prometheus", "http://127.0.0.1:1"])
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("queue\tmessages\tconsumers\n"))
        #expect(result.text.contains("kind\toldest queued job\tpublished/s\tdelivered/s\n"))
        #expect(result.text.contains("(rates: no Prometheus at http://127.0.0.1:1"))
        #expect(result.text.contains("job status\tcount\n"))
    }

    @Test func jobsShowPrintsAJobOrSaysThereIsNone() async throws {
        let system = try await SharedSystem.instance.get()
        let rows = try await system.rows("SELECT id::text AS id FROM jobs ORDER BY created_at LIMIT 1", [])
        if let id = try rows.rows.first?.requiredString("id") {
            let shown = try await Self.run(["jobs", "show", id])
            #expect(shown.status == 0, "\(shown.text)")
            #expect(shown.text.contains("id\t\(id)\n"))
            #expect(shown.text.contains("\nstatus\t"))
        }
        let missing = try await Self.run(["jobs", "show", UUID().uuidString])
        #expect(missing.status == 1)
        #expect(missing.text.contains("no job"))
        let malformed = try await Self.run(["jobs", "show", "not-a-uuid"])
        #expect(malformed.status != 0)
    }

    /// `talentctl dev-keys serve` publishes the development JWKS over HTTP as an identity platform
    /// would; a key set reading that URL sees `dev-keys rotate`.
    @Test func devKeysServeThePublishedJWKS() async throws {
        let environment = try TestEnvironment.current()
        let folder = environment.runDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        let keys = [
            "TALENT_JWT_PRIVATE_KEY": folder.appendingPathComponent("issuer.pem").path,
            "TALENT_JWT_JWKS": folder.appendingPathComponent("jwks.json").path,
        ]
        let port = 58099
        let server = try ManagedProcess(
            name: "dev-keys-serve", executable: environment.binDirectory.appendingPathComponent("talentctl"),
            arguments: ["dev-keys", "serve", "--port", String(port)],
            environment: environment.processEnvironment(extra: keys),
            runDirectory: environment.runDirectory)
        defer { Task { await server.stop() } }
        let set = IdentityKeySet(
            source: IdentityKeySource("http://127.0.0.1:\(port)/.well-known/jwks.json"), algorithms: ["ES256"],
            logger: Logger(label: "serve-test"))
        var loaded = 0
        for _ in 0..<100 where loaded == 0 {
            loaded = (try? await set.reload()) ?? 0
            if loaded == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        let issuer = try await DevelopmentIssuer(
            privateKeyPath: keys["TALENT_JWT_PRIVATE_KEY"]!, publicKeyPath: keys["TALENT_JWT_JWKS"]!)
        #expect(set.keyIds == [issuer.keyId])
        let rotated = try await OperatorCommandTests.run(["dev-keys", "rotate"], extra: keys)
        #expect(rotated.status == 0, "\(rotated.text)")
        try await set.reload()
        #expect(set.keyIds.count == 1)
        #expect(set.keyIds != [issuer.keyId], "the rotated key is served at once")
    }
}
