import Foundation
import JobQueue
import PostgresClient
import TalentCore

/// One step of an effect too large for one transaction (a notice's fan-out to every unit), written
/// from ``JobHandler/prepare(_:)``: each step is its own transaction that first locks the job's row
/// and finds it still to do (``JobStore/lockForEffect(_:on:)``), so a job that was discarded (its
/// publish failed and the caller was told so) or already finished writes nothing. The steps must be
/// idempotent and record their own progress in the same transaction, so a redelivery resumes after
/// the last committed one; the job's outcome is still recorded by ``JobHandler/apply(_:prepared:in:)``.
public enum StagedEffect {
    /// Runs `body` in a transaction of `pool` once `job`'s row is locked and found still to do.
    /// - Returns: what `body` returned, `nil` when the job is not to be applied.
    /// - Throws: what `body` throws, database errors (the step rolls back).
    public static func step<Message: VersionedJobMessage, Value: Sendable>(
        of job: Job<Message>, pool: PostgresPool, _ body: @escaping @Sendable (PostgresConnection) throws -> Value
    ) async throws -> Value? {
        let key = (id: job.id, unitId: job.actingUnit)
        return try await pool.transaction { connection in
            guard case .apply = try JobStore.lockForEffect([key], on: connection)[0] else { return nil }
            return try body(connection)
        }
    }
}
