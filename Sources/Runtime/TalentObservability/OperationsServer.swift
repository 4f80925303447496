import Foundation
import Hummingbird
import Logging

/// A worker's operations endpoints over HTTP: `GET /metrics` (Prometheus text format),
/// `GET /health/live` (the process answers) and `GET /health/ready` (every readiness check passes).
///
/// Readiness answers `200 {"status":"ok","checks":{…}}` or `503 {"status":"unavailable","checks":{…}}`,
/// each check `ok` or what is wrong; a check that takes longer than ``checkTimeout`` counts as failed.
/// The same shape as the gateway's readiness.
public struct OperationsServer: Sendable {
    /// One readiness check: `nil` when it passes, else what is wrong (a short phrase).
    public typealias Check = @Sendable () async -> String?

    /// Named checks, run at once on every readiness request.
    public var checks: [(name: String, check: Check)]
    /// Help texts of the metric families this process records (see ``MetricsExposition/text(help:)``).
    public var help: [String: String]
    /// The longest a check may take. Default 2 s.
    public var checkTimeout: Duration
    /// Runs before each scrape, to record gauges read from the process's state. Default: nothing.
    public var beforeScrape: @Sendable () -> Void

    public init(
        checks: [(name: String, check: Check)], help: [String: String], checkTimeout: Duration = .seconds(2),
        beforeScrape: @escaping @Sendable () -> Void = {}
    ) {
        self.checks = checks
        self.help = help
        self.checkTimeout = checkTimeout
        self.beforeScrape = beforeScrape
    }

    struct Health: ResponseEncodable {
        var status: String
        var checks: [String: String]
    }

    /// The router with the three routes (for in-process tests).
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let (help, beforeScrape) = (self.help, self.beforeScrape)
        router.get("/metrics") { _, _ -> Response in
            beforeScrape()
            return Response(
                status: .ok, headers: [.contentType: MetricsExposition.contentType],
                body: .init(byteBuffer: ByteBuffer(string: MetricsExposition.text(help: help))))
        }
        router.get("/health/live") { _, _ in
            Health(status: "ok", checks: [:])
        }
        router.get("/health/ready") { [self] _, _ -> EditedResponse<Health> in
            let results = await runChecks()
            let ready = results.values.allSatisfy { $0 == "ok" }
            return EditedResponse(
                status: ready ? .ok : .serviceUnavailable,
                response: Health(status: ready ? "ok" : "unavailable", checks: results))
        }
        return router
    }

    /// The HTTP application on `host:port` (port 0: any free port, logged at start).
    public func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        Application(
            router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "talent-worker"),
            logger: logger)
    }

    /// Every check's answer (`ok` or the problem), each bounded by ``checkTimeout`` (a check that does
    /// not end is abandoned, never waited for).
    func runChecks() async -> [String: String] {
        await withTaskGroup(of: (String, String).self) { group in
            for (name, check) in checks {
                group.addTask { [checkTimeout] in
                    let answer = await TalentObservability.answer(within: checkTimeout) { await check() ?? "ok" }
                    return (name, answer ?? "no answer within \(checkTimeout)")
                }
            }
            var results: [String: String] = [:]
            for await (name, answer) in group { results[name] = answer }
            return results
        }
    }
}
