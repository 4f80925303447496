import Hummingbird
import JobQueue
import TalentCore

/// Job status (`GET /v1/jobs/{jobId}`), scoped to the unit in the token.
struct JobRoutes: Sendable {
    let jobs: JobStore

    func get(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.uuidParameter("jobId")
        guard let job = try await store({ [jobs] in try await jobs.job(id: id, unitId: identity.unitId) }) else {
            throw GatewayError(.notFound, "no such job")
        }
        return JSONResponse.make(status: .ok, job)
    }
}
