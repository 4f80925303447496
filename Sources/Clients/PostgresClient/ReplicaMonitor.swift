import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Watches a streaming replica's lag behind its primary and hands out the replica's pool for reads that
/// may lag, while the lag is within a bound.
///
/// Every `interval` it reads the primary's WAL position and then the replica's replayed one (one
/// statement each, on the pools' threads) and updates a ``ReplicaLagEstimator``; a replica that does
/// not answer, or is not in recovery (promoted: no longer following this primary), counts as
/// unavailable until it answers again; an estimate ages between samples, so a replica (or a sample)
/// that hangs stops being used once the bound has passed. Reads already running on a replica that
/// hangs wait for the connection: give its connection string `connect_timeout` and `tcp_user_timeout`.
/// Run it as a service (`run()` samples until shutdown).
///
/// Metrics: `talent_postgres_replica_lag_seconds` (gauge; −1 while unavailable or further behind than
/// the kept history), `talent_postgres_reads_total{pool="replica"|"primary"}` (counter, reads routed
/// by ``read(mayLag:_:)``).
public final class ReplicaMonitor: Sendable {
    public let primary: PostgresPool
    public let replica: PostgresPool
    /// Longest lag at which reads still go to the replica.
    public let lagBound: Duration
    public let interval: Duration
    private let estimator = Mutex(ReplicaLagEstimator())
    private let logger: Logger
    private let lagGauge = Gauge(label: "talent_postgres_replica_lag_seconds")
    private let replicaReads = Counter(label: "talent_postgres_reads_total", dimensions: [("pool", "replica")])
    private let primaryReads = Counter(label: "talent_postgres_reads_total", dimensions: [("pool", "primary")])

    public static let metricHelp: [String: String] = [
        "talent_postgres_replica_lag_seconds":
            "How far the read replica is behind the primary (upper bound); -1 while it is unavailable.",
        "talent_postgres_reads_total": "Reads that may lag, by the pool that answered them.",
    ]

    public init(
        primary: PostgresPool, replica: PostgresPool, lagBound: Duration, interval: Duration = .milliseconds(500),
        logger: Logger = Logger(label: "postgres.replica")
    ) {
        self.primary = primary
        self.replica = replica
        self.lagBound = lagBound
        self.interval = interval
        self.logger = logger
    }

    /// The current estimate (`nil`: unavailable or not yet sampled).
    public var lag: ReplicaLagEstimator.Lag? { estimator.withLock { $0.lag } }

    /// Whether reads that may lag go to the replica now.
    public var isUsable: Bool { estimator.withLock { $0.isFresh(within: lagBound) } }

    /// Runs `body` on the replica when `mayLag` and the replica is within the bound, otherwise on the
    /// primary; a replica that fails with a connection error (or a recovery conflict, or is shutting
    /// down) is marked unavailable and `body` runs again on the primary, so callers see no error.
    /// - Throws: what `body` throws on the primary.
    public func read<T: Sendable>(mayLag: Bool, _ body: (PostgresPool) async throws -> T) async throws -> T {
        if mayLag, isUsable {
            do {
                let value = try await body(replica)
                replicaReads.increment()
                return value
            } catch let error as PostgresError where Self.isUnavailability(error) {
                logger.warning(
                    "replica read failed; reading from the primary",
                    metadata: ["error": "\(String(reflecting: error))"])
                markUnavailable()
            }
        }
        let value = try await body(primary)
        primaryReads.increment()
        return value
    }

    /// Connection failures, SQLSTATE class 08 (connection exception), 57P (operator intervention:
    /// shutdown) and 40001 (a recovery conflict cancelled the statement): the replica, not the query.
    static func isUnavailability(_ error: PostgresError) -> Bool {
        if error.code == .connectionFailed { return true }
        guard let state = error.sqlState?.rawValue else { return false }
        return state.hasPrefix("08") || state.hasPrefix("57P") || state == "40001"
    }

    private func markUnavailable() {
        estimator.withLock { $0.replicaUnavailable() }
        lagGauge.record(-1)
    }

    /// Samples both positions once now (``run()`` does this every ``interval``); never throws: a failure
    /// marks the replica unavailable.
    public func sample() async {
        do {
            // Read before the statement: the position returned was reached by then at the latest, so the
            // estimate stays an upper bound.
            let primaryAt = ContinuousClock.now
            let primaryText = try await primary.withConnection { connection in
                try connection.query("SELECT pg_current_wal_lsn()::text AS position").rows.first?.string("position")
            }
            let replicaRow = try await replica.withConnection { connection in
                try connection.query(
                    "SELECT pg_is_in_recovery() AS recovering, pg_last_wal_replay_lsn()::text AS position"
                ).rows.first.map { (try $0.string("recovering"), try $0.string("position")) }
            }
            let replicaAt = ContinuousClock.now
            guard let primaryText, let primaryPosition = ReplicaLagEstimator.position(primaryText),
                let (recovering, replayText) = replicaRow, recovering == "t", let replayText,
                let replayed = ReplicaLagEstimator.position(replayText)
            else {
                markUnavailable()
                return
            }
            let lag = estimator.withLock { estimator in
                estimator.primaryPosition(primaryPosition, at: primaryAt)
                return estimator.replicaReplayed(replayed, at: replicaAt)
            }
            switch lag {
            case .atMost(let duration):
                lagGauge.record(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
            case .beyondHistory: lagGauge.record(-1)
            }
        } catch {
            if lag != nil {
                logger.warning("replica unavailable", metadata: ["error": "\(String(reflecting: error))"])
            }
            markUnavailable()
        }
    }
}

extension ReplicaMonitor: Service {
    /// Samples every ``interval`` until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.sample()
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}
