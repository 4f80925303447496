import Foundation
import HTTPTypes
import Hummingbird
import JobQueue
import TalentCore
import TalentStore

/// `Idempotency-Key` on every state-changing operation (uploads, decisions, association requests,
/// deletes): a retry of an accepted request — the answer was lost — gets the first answer again, and
/// nothing is stored or queued twice.
///
/// A key belongs to its caller (`unit:<code>`, `service:<name>`) and to one request (a hash over the
/// method, the path and what the body asks for); it is claimed in the transaction that accepts the
/// request, so it names a committed job or nothing. A request refused with a 4xx claims nothing: a
/// retry with the same key is judged afresh. The first answer is looked up before any other check, so
/// a retried approval is answered `202` with its job, not `409 not_pending`.
struct IdempotentRequests: Sendable {
    let keys: IdempotencyStore
    let jobs: JobStore

    static let field = HTTPField.Name("Idempotency-Key")!

    /// The request's key, or `nil` without the header.
    /// - Parameter identifying: what the request asks for beyond its method and path (the body).
    /// - Throws: `invalid_parameter` when the key is not 1–255 printable ASCII characters.
    static func key(_ request: Request, caller: String, identifying: [UInt8]) throws(GatewayError) -> IdempotencyKey? {
        guard let key = request.headers[field] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw GatewayError(.invalidParameter, "Idempotency-Key must be 1–255 printable ASCII characters")
        }
        let target = Array("\(request.method.rawValue) \(request.uri.path)\n".utf8)
        return IdempotencyKey(
            caller: caller, key: key, requestHash: SHA256Hex.of(target + Array(SHA256Hex.of(identifying).utf8)))
    }

    /// The first answer when `key` was used before, else `nil` (go on with the request).
    /// - Parameter rebuild: the answer from the first request's job when that answer was not recorded
    ///   (the gateway stopped between the broker's confirm and the record).
    func earlierAnswer(
        _ key: IdempotencyKey?, rebuild: @Sendable (IdempotentReplay, JobRecord) async throws -> Response?
    ) async throws -> Response? {
        guard let key, let replay = try await store({ [keys] in try await keys.replay(of: key) }) else { return nil }
        return try await answer(replay, key: key, rebuild: rebuild)
    }

    /// The answer to a retry whose first request left `replay`.
    /// - Throws: `idempotency_key_reused` (409) when the key came with another request;
    ///   `idempotency_in_progress` (409, `Retry-After`) while the first request is not answered yet.
    func answer(
        _ replay: IdempotentReplay, key: IdempotencyKey,
        rebuild: @Sendable (IdempotentReplay, JobRecord) async throws -> Response?
    ) async throws -> Response {
        guard replay.requestHash == key.requestHash else {
            throw GatewayError(.idempotencyKeyReused, "this Idempotency-Key was used for a different request")
        }
        if let status = replay.responseStatus {
            var headers = HTTPFields()
            if let location = replay.responseLocation { headers[.location] = location }
            guard let body = replay.responseBody, !body.isEmpty else {
                return Response(status: HTTPResponse.Status(code: status), headers: headers)
            }
            return JSONResponse.make(status: HTTPResponse.Status(code: status), rawJSON: body, headers: headers)
        }
        if let jobId = replay.jobId,
            let job = try await store({ [jobs] in try await jobs.job(id: jobId) }),
            job.publishedAt != nil || job.status != .queued,
            let rebuilt = try await rebuild(replay, job)
        {
            return rebuilt
        }
        throw GatewayError(
            .idempotencyInProgress, "the first request with this Idempotency-Key is still in progress",
            retryAfterSeconds: 1)
    }

    /// Records the first answer for `key`'s retries; a lost record is rebuilt from the job later.
    func record(_ key: IdempotencyKey?, status: Int, body: String, location: String?) async {
        guard let key else { return }
        try? await keys.recordResponse(key, status: status, body: body, location: location)
    }
}
