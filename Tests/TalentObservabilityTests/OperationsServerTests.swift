import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import Testing

@testable import TalentObservability

@Suite("Operations server")
struct OperationsServerTests {
    @Test func readyWhenEveryCheckPasses() async throws {
        let server = OperationsServer(checks: [("broker", { nil }), ("database", { nil })], help: [:])
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(body.contains("\"status\":\"ok\""))
                #expect(body.contains("\"broker\":\"ok\""))
            }
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    /// A failing check names itself; a hanging one fails at the timeout instead of holding the answer.
    @Test func notReadyNamesTheFailingAndTheHangingCheck() async throws {
        let server = OperationsServer(
            checks: [
                ("consumer", { "not consuming" }),
                (
                    "database",
                    {
                        try? await Task.sleep(for: .seconds(30))
                        return nil
                    }
                ),
                ("broker", { nil }),
            ], help: [:], checkTimeout: .milliseconds(200))
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let started = ContinuousClock.now
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = String(buffer: response.body)
                #expect(body.contains("\"consumer\":\"not consuming\""))
                #expect(body.contains("\"database\":\"no answer within"))
                #expect(body.contains("\"broker\":\"ok\""))
            }
            #expect(started.duration(to: .now) < .seconds(10))
        }
    }

    /// `/metrics` is the text format with a `# HELP` line from the help table before each family.
    @Test func metricsCarryHelpLines() async throws {
        MetricsExposition.bootstrap()
        Counter(label: "talent_test_things_total", dimensions: [("kind", "a")]).increment()
        let server = OperationsServer(
            checks: [], help: ["talent_test_things_total": "Things counted by a test.\nSecond line \\ end."])
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == MetricsExposition.contentType)
                let body = String(buffer: response.body)
                #expect(
                    body.contains(
                        "# HELP talent_test_things_total Things counted by a test.\\nSecond line \\\\ end.\n# TYPE talent_test_things_total counter\n"
                    ))
                #expect(body.contains("talent_test_things_total{kind=\"a\"} 1"))
                #expect(body.contains("# HELP process_resident_memory_bytes "))
            }
        }
    }

    /// Hummingbird's HTTP metrics come out under Prometheus names (`_total`, `_seconds`).
    @Test func httpMetricsAreRenamed() async throws {
        MetricsExposition.bootstrap()
        let router = Router()
        router.add(middleware: MetricsMiddleware())
        router.get("/hello") { _, _ in "hello" }
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/hello", method: .get) { _ in }
        }
        let text = MetricsExposition.text(help: MetricsExposition.httpHelp)
        #expect(text.contains("# TYPE http_server_requests_total counter"))
        #expect(text.contains("http_route=\"/hello\""))
        #expect(text.contains("# TYPE http_server_request_duration_seconds histogram"))
        #expect(text.contains("# HELP http_server_requests_total "))
    }
}
