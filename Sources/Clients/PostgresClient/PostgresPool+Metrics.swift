import Metrics

extension PostgresPool {
    /// The metrics a pool records (swift-metrics; names and help for the Prometheus exposition).
    ///
    /// - `talent_postgres_pool_wait_seconds` (histogram): from a call to ``withConnection(_:)`` until a
    ///   pool thread takes it; long waits mean the pool is smaller than the work given to it.
    /// - `talent_postgres_connection_failures_total` (counter): connections that could not be made or
    ///   were found broken (the call failed with ``PostgresError/Code/connectionFailed``).
    public static let metricHelp: [String: String] = [
        "talent_postgres_pool_wait_seconds": "Time a call waited for a free PostgreSQL pool connection.",
        "talent_postgres_connection_failures_total": "PostgreSQL connections that could not be made or broke.",
    ]

    struct PoolMetrics: Sendable {
        let wait = Timer(label: "talent_postgres_pool_wait_seconds", preferredDisplayUnit: .seconds)
        let connectionFailures = Counter(label: "talent_postgres_connection_failures_total")
    }

}
