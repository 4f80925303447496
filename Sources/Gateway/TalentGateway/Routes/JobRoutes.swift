import Hummingbird
import JobQueue
import TalentCore

/// Job status: `GET /v1/jobs/{jobId}` scoped to the unit in the token, `GET /v1/service/jobs/{jobId}`
/// to the jobs the calling service submitted (another unit's or service's job is `404` like a missing
/// one).
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

    func getForService(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let service = try context.requireService()
        let id = try context.uuidParameter("jobId")
        guard let job = try await store({ [jobs] in try await jobs.job(id: id, submittedBy: service.caller) }) else {
            throw GatewayError(.notFound, "no such job")
        }
        return JSONResponse.make(status: .ok, job)
    }
}
