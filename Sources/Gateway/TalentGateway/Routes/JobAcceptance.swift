import Foundation
import Hummingbird
import JobQueue
import Logging
import PostgresClient
import TalentCore
import TalentStore

/// Accepting a job the way every state-changing route does: stored and published with confirms
/// (``JobSubmitter``), `202` with the job's `Location` (under the caller's jobs path), an
/// `Idempotency-Key` claimed in the accepting transaction with its first answer recorded for retries
/// (rebuilt from the job when that record was lost), and `Prefer: wait` answered `200` with the
/// finished job when it finishes in time.
struct JobAcceptance: Sendable {
    let submitter: JobSubmitter
    let idempotency: IdempotentRequests
    let waiter: PreferWait

    /// Stores and publishes `message`, a job about `subjectId`, and answers `202` with `body(job)`.
    /// Without a key, in the gateway's shared outbox transactions; with one, in a transaction of its
    /// own that claims the key (a concurrent retry that claimed it first gets the first answer).
    /// - Parameter service: the submitting service (its job's `Location` is under `/v1/service/jobs/`).
    /// - Parameter wait: `Prefer: wait` seconds (``PreferWait``).
    /// - Parameter rebuild: the body of the first answer from its job (subject id, job), for a retry
    ///   whose recorded answer was lost.
    /// - Parameter write: rows the request stores with its job, in the accepting transaction (then
    ///   never in a shared outbox transaction); `undo` removes them when the publish fails and the job
    ///   is discarded.
    func submit<Body: Encodable & Sendable>(
        _ message: JobEnvelope, subjectId: UUID?, unitName: String?, key: IdempotencyKey?,
        service: ServiceIdentity? = nil, wait: Int?, logger: Logger,
        write: (@Sendable (PostgresConnection) throws -> Void)? = nil,
        undo: @escaping @Sendable (PostgresConnection) throws -> Void = { _ in },
        body: @escaping @Sendable (JobRecord) -> Body, rebuild: @escaping @Sendable (UUID?, JobRecord) -> Body?
    ) async throws -> Response {
        let (accepted, stored) = try await accept(
            message, subjectId: subjectId, unitName: unitName, key: key, service: service, logger: logger,
            write: write, undo: undo, body: body, rebuild: rebuild)
        // A key's earlier answer names another job: it is returned as it is.
        guard let wait, stored, let finished = await waiter.finished(message.jobId, within: wait)
        else { return accepted }
        return PreferWait.applied(
            wait, status: .ok, rawJSON: JSONResponse.encode(body(finished)), headers: accepted.headers)
    }

    /// The `202`, or the key's earlier answer. - Returns: the answer, and whether `message` was
    /// stored by this request.
    func accept<Body: Encodable & Sendable>(
        _ message: JobEnvelope, subjectId: UUID?, unitName: String?, key: IdempotencyKey?, service: ServiceIdentity?,
        logger: Logger, write: (@Sendable (PostgresConnection) throws -> Void)? = nil,
        undo: @escaping @Sendable (PostgresConnection) throws -> Void = { _ in },
        body: @escaping @Sendable (JobRecord) -> Body, rebuild: @escaping @Sendable (UUID?, JobRecord) -> Body?
    ) async throws -> (Response, stored: Bool) {
        let jobsPath = Self.jobsPath(service)
        let answer = { (record: JobRecord) in Self.accepted(body(record), jobId: record.id, jobsPath: jobsPath) }
        guard key != nil || write != nil else {
            let record = try await submitter.submit(
                message, subjectId: subjectId, unitName: unitName, submittedBy: service?.caller, logger: logger)
            return (answer(record).response, true)
        }
        let (replay, stored) = try await submitter.store(message, unitName: unitName, submittedBy: service?.caller) {
            connection -> (IdempotentReplay?, subjectId: UUID?, createJob: Bool) in
            if let key,
                let replay = try IdempotencyStore.claim(
                    key, unitId: message.unitId?.rawValue, subjectId: subjectId, jobId: message.jobId, on: connection)
            {
                return (replay, nil, false)
            }
            try write?(connection)
            return (nil, subjectId, true)
        }
        if let replay, let key {
            return (
                try await idempotency.answer(replay, key: key, rebuild: Self.rebuild(service, body: rebuild)), false
            )
        }
        guard var record = stored else { throw GatewayError(.internal, "internal error") }
        if let processed = try await submitter.publish(message, logger: logger, undo: undo) { record = processed }
        let accepted = answer(record)
        await idempotency.record(
            key, status: 202, body: accepted.body, location: accepted.response.headers[.location])
        return (accepted.response, true)
    }

    /// Where the caller reads its jobs: `/v1/jobs/` for a unit, `/v1/service/jobs/` for a service.
    static func jobsPath(_ service: ServiceIdentity?) -> String {
        service == nil ? "/v1/jobs/" : "/v1/service/jobs/"
    }

    /// The first `202` of a keyed request, from its job (the recorded answer was lost).
    static func rebuild<Body: Encodable & Sendable>(
        _ service: ServiceIdentity?, body: @escaping @Sendable (UUID?, JobRecord) -> Body?
    ) -> @Sendable (IdempotentReplay, JobRecord) async throws -> Response? {
        rebuild(jobsPath: jobsPath(service), body: body)
    }

    /// The same, for answers whose job lives under `jobsPath` (``jobsPath(_:)``).
    static func rebuild<Body: Encodable & Sendable>(
        jobsPath: String, body: @escaping @Sendable (UUID?, JobRecord) -> Body?
    ) -> @Sendable (IdempotentReplay, JobRecord) async throws -> Response? {
        { replay, job in
            guard let value = body(replay.subjectId ?? job.subjectId, job) else { return nil }
            return accepted(value, jobId: job.id, jobsPath: jobsPath).response
        }
    }

    /// The `202` answer: `value` and the job's `Location` (under `jobsPath`, where the caller reads it).
    static func accepted<Body: Encodable>(_ value: Body, jobId: UUID, jobsPath: String = "/v1/jobs/") -> (
        response: Response, body: String
    ) {
        let body = JSONResponse.encode(value)
        var headers = HTTPFields()
        headers[.location] = jobsPath + jobId.uuidString.lowercased()
        return (JSONResponse.make(status: .accepted, rawJSON: body, headers: headers), body)
    }
}
