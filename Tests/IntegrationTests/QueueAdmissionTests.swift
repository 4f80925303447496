import Foundation
import TalentAPI
import TalentClient
import TalentCore
import TalentTestSupport
import Testing

/// Admission control per job kind in a running gateway: its monitor counts the jobs that have waited
/// past the bound in the jobs table; with enough of them (here 1), new jobs of that kind are refused
/// with 503 and Retry-After, and admitted again once the backlog is gone.
@Suite("Queue admission")
struct QueueAdmissionTests {
    @Test func aBackloggedKindIsRefusedUntilItCatchesUp() async throws {
        let system = try await SharedSystem.instance.get()
        let environment = try TestEnvironment.current()
        // A gateway of its own with a 60 s bound (the shared one's is 300 s, so the stuck job below,
        // 120 s old, leaves every other test alone).
        let port = 58_097
        let gateway = try ManagedProcess(
            name: "admission-gateway", executable: environment.binDirectory.appendingPathComponent("talent-gateway"),
            arguments: [],
            environment: environment.processEnvironment(extra: [
                "TALENT_HTTP_PORT": String(port), "TALENT_ADMISSION_MAX_QUEUED_AGE_SECONDS": "60",
                "TALENT_ADMISSION_MIN_OLD_JOBS": "1",
            ]), runDirectory: environment.runDirectory)
        defer { Task { _ = await gateway.stop() } }
        let unit = Fixtures.unit(33)
        let token = try await system.token(unit: unit.rawValue)
        let client = GatewayClient(baseURL: URL(string: "http://127.0.0.1:\(port)")!, token: token)
        try await Self.eventually("the gateway ready") {
            (try? await client.send("GET", "/health/ready", authorised: false).status) == 200
        }
        #expect(try await client.send("GET", "/v1/employee-summary").status == 200)
        // A decision job stuck for two minutes: published, never finished, no message to republish.
        let stuck = UUID()
        _ = try await system.rows(
            """
            INSERT INTO jobs (id, kind, unit_id, status, created_at, published_at, schema_version)
            VALUES ($1::uuid, 'association.decision', $2, 'queued', now() - interval '120 seconds',
                    now() - interval '120 seconds', 1)
            """, [stuck.uuidString, unit.rawValue])
        let approval = #"{"entryDate":"2025-03-01","position":"分析师"}"#
        func approve() async throws -> GatewayClient.Reply {
            try await client.send(
                "POST", "/v1/association-requests/\(UUID().uuidString)/approval", body: Data(approval.utf8),
                headers: ["Content-Type": "application/json"])
        }
        var refused: GatewayClient.Reply?
        try await Self.eventually("decisions refused") {
            let reply = try? await approve()
            refused = reply
            return reply?.status == 503
        }
        #expect(refused?.errorCode == "queue_backlogged")
        #expect(refused?.headers["retry-after"] == "30")
        // Reads and the other kind go on; the gateway says so in its metrics.
        #expect(try await client.send("GET", "/v1/association-requests").status == 200)
        let metrics = String(decoding: try await client.send("GET", "/metrics", authorised: false).body, as: UTF8.self)
        #expect(metrics.contains(#"talent_admission_open{kind="association.decision"} 0"#))
        #expect(metrics.contains(#"talent_admission_open{kind="attachment.validation"} 1"#))
        // The backlog gone: admitted again (here: 404, there is no such request).
        _ = try await system.rows("DELETE FROM jobs WHERE id = $1::uuid", [stuck.uuidString])
        try await Self.eventually("decisions admitted again") { (try? await approve())?.status == 404 }
    }

    /// Polls `condition` every 200 ms for at most 20 s.
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<100 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("not within 20 s: \(what)")
    }
}
