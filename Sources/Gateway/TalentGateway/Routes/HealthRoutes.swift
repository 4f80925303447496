import AMQPClient
import Hummingbird
import JobQueue
import Metrics
import PostgresClient
import TalentObservability

/// Liveness (the process answers), readiness (database reachable, broker connected and accepting
/// publishes: not blocked by a resource alarm) and the Prometheus metrics.
struct HealthRoutes: Sendable {
    let pool: PostgresPool
    let connection: AMQPConnection

    /// Help of every metric family the gateway records.
    static let metricHelp = MetricsExposition.help(
        MetricsExposition.httpHelp, PostgresPool.metricHelp, ReplicaMonitor.metricHelp, JobPublisher.metricHelp,
        JobRelay.metricHelp,
        [
            "talent_jobs_oldest_queued_age_seconds":
                "Age of the oldest job accepted and not yet done (queued, retrying or held by a worker), by kind."
        ])

    /// `GET /metrics`: the process's metrics, and the age of the oldest queued job per kind read from
    /// the database at each scrape, within 1 s (left as last read when the database does not answer).
    func metrics(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let jobs = JobStore(pool: pool)
        if let read = await answer(within: .seconds(1), { try? await jobs.oldestQueuedAges() }), let ages = read {
            for (kind, age) in ages {
                Gauge(label: "talent_jobs_oldest_queued_age_seconds", dimensions: [("kind", kind.rawValue)]).record(age)
            }
        }
        return Response(
            status: .ok, headers: [.contentType: MetricsExposition.contentType],
            body: .init(byteBuffer: ByteBuffer(string: MetricsExposition.text(help: Self.metricHelp))))
    }

    struct Health: Codable {
        var status: String
        var checks: [String: String]
    }

    func live(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        JSONResponse.make(status: .ok, Health(status: "ok", checks: [:]))
    }

    func ready(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let database: String
        do {
            try await pool.withConnection { connection in _ = try connection.query("SELECT 1") }
            database = "ok"
        } catch {
            database = "unavailable"
        }
        let broker = !connection.isConnected ? "unavailable" : connection.isBlocked ? "blocked" : "ok"
        let ready = database == "ok" && broker == "ok"
        return JSONResponse.make(
            status: ready ? .ok : .serviceUnavailable,
            Health(status: ready ? "ok" : "unavailable", checks: ["database": database, "broker": broker]))
    }
}
