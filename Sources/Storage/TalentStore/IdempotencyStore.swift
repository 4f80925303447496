import Foundation
import PostgresClient

/// SQL for idempotency keys (`idempotency_keys`): claimed in the transaction that accepts a request,
/// so a key names a committed job or nothing; the first answer is recorded after it was given.
public struct IdempotencyStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Claims `key` for a request about `subjectId` that accepts `jobId` (none for a request without a
    /// job), in the caller's transaction; a key claimed before (or by a concurrent request, which this
    /// waits for) is not claimed again.
    /// - Parameter response: the answer, when it is known inside the transaction (a delete).
    /// - Returns: `nil` when claimed; else the first request's state.
    /// - Throws: ``PostgresError``.
    public static func claim(
        _ key: IdempotencyKey, unitId: String?, subjectId: UUID?, jobId: UUID?,
        response: (status: Int, body: String, location: String?)? = nil, on connection: PostgresConnection
    ) throws -> IdempotentReplay? {
        let claimed = try connection.execute(
            prepared: "idempotency_claim",
            """
            INSERT INTO idempotency_keys (caller, key, unit_id, request_hash, subject_id, job_id, response_status,
                                          response_body, response_location)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (caller, key) DO NOTHING
            """,
            [
                key.caller, key.key, unitId, key.requestHash, subjectId, jobId, response?.status, response?.body,
                response?.location,
            ])
        guard claimed.affectedRows == 0 else { return nil }
        // The conflicting row can be gone by now (its first request's job was discarded after a failed
        // publish): not claimed either way, so answer "in progress" and let the retry try again.
        return try state(of: key, on: connection)
            ?? IdempotentReplay(
                requestHash: key.requestHash, subjectId: nil, jobId: nil, responseStatus: nil, responseBody: nil,
                responseLocation: nil)
    }

    /// The state of `key`'s first request, or `nil` when the key is unused.
    public func replay(of key: IdempotencyKey) async throws -> IdempotentReplay? {
        try await pool.withConnection { connection in try Self.state(of: key, on: connection) }
    }

    static func state(of key: IdempotencyKey, on connection: PostgresConnection) throws -> IdempotentReplay? {
        let rows = try connection.execute(
            prepared: "idempotency_get",
            """
            SELECT request_hash, subject_id, job_id, response_status, response_body, response_location
            FROM idempotency_keys WHERE caller = $1 AND key = $2
            """, [key.caller, key.key])
        guard let row = rows.first else { return nil }
        return IdempotentReplay(
            requestHash: try row.requiredString("request_hash"), subjectId: try row.uuid("subject_id"),
            jobId: try row.uuid("job_id"), responseStatus: try row.int("response_status"),
            responseBody: try row.string("response_body"), responseLocation: try row.string("response_location"))
    }

    /// Records the answer to the first request of `key`, for its retries (once).
    public func recordResponse(_ key: IdempotencyKey, status: Int, body: String, location: String?) async throws {
        _ = try await pool.withConnection { connection in
            try connection.query(
                """
                UPDATE idempotency_keys SET response_status = $3, response_body = $4, response_location = $5
                WHERE caller = $1 AND key = $2 AND response_status IS NULL
                """, [key.caller, key.key, status, body, location])
        }
    }
}
