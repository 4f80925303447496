import AMQPClient
import Hummingbird
import PostgresClient

/// Liveness (the process answers) and readiness (database reachable, broker connected and not
/// blocking publishers).
struct HealthRoutes: Sendable {
    let pool: PostgresPool
    let connection: AMQPConnection

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
