import PostgresClient
import TalentCore

/// Where a read that may lag (attachment lists, employee lists, the notice inbox) runs: on the replica
/// when one is configured, its lag is within `TALENT_POSTGRES_REPLICA_MAX_LAG_SECONDS` and the unit has
/// not written through this gateway within `TALENT_POSTGRES_REPLICA_OWN_WRITES_SECONDS`; otherwise,
/// and when the replica fails, on the primary (``ReplicaMonitor/read(mayLag:_:)``). Every other read
/// (a job's status, an attachment's verdict, what a write checks) stays on the primary.
struct ReadRouting: Sendable {
    let primary: PostgresPool
    let replica: ReplicaMonitor?
    let writers: RecentWriters

    /// Runs `body` with the pool for a read of `unit`'s data that may lag.
    func read<T: Sendable>(unit: UnifiedSocialCreditCode, _ body: (PostgresPool) async throws -> T) async throws -> T {
        guard let replica else { return try await body(primary) }
        return try await replica.read(mayLag: !writers.wroteRecently(unit), body)
    }
}
