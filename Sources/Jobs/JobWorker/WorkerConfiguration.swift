/// How a worker consumes one queue. Read from the environment and flags in one place (`talent-worker`).
public struct WorkerConfiguration: Sendable {
    /// Unacknowledged deliveries the broker may hand this process. Default 8.
    public var prefetch: UInt16
    /// Batches (or single jobs) handled at once. Default 2 (one per core here).
    public var concurrency: Int
    /// Most jobs applied in one transaction, for kinds that allow batching. Default 16.
    public var batchSize: Int
    /// Attempts made at once when a job's handler throws (database or broker trouble), before the job
    /// goes to a retry tier. Default 3.
    public var retryAttempts: Int
    /// First and largest delay between those attempts, in milliseconds (doubling). Defaults 200 / 2000.
    public var retryInitialDelayMilliseconds: Int
    public var retryMaxDelayMilliseconds: Int
    /// Upper bound of one job's (or one batch's) run time in seconds, its attempts included. Default 120.
    public var jobTimeLimitSeconds: Int
    /// Time given to in-flight jobs after SIGTERM, in seconds. Default 30.
    public var drainGraceSeconds: Int
    /// The broker's `consumer_timeout` in seconds (RabbitMQ default 1800): a delivery unacked longer
    /// closes the channel. Default 1800.
    public var brokerConsumerTimeoutSeconds: Int

    public init(
        prefetch: UInt16 = 8, concurrency: Int = 2, batchSize: Int = 16, retryAttempts: Int = 3,
        retryInitialDelayMilliseconds: Int = 200, retryMaxDelayMilliseconds: Int = 2000, jobTimeLimitSeconds: Int = 120,
        drainGraceSeconds: Int = 30, brokerConsumerTimeoutSeconds: Int = 1800
    ) {
        self.prefetch = prefetch
        self.concurrency = concurrency
        self.batchSize = batchSize
        self.retryAttempts = retryAttempts
        self.retryInitialDelayMilliseconds = retryInitialDelayMilliseconds
        self.retryMaxDelayMilliseconds = retryMaxDelayMilliseconds
        self.jobTimeLimitSeconds = jobTimeLimitSeconds
        self.drainGraceSeconds = drainGraceSeconds
        self.brokerConsumerTimeoutSeconds = brokerConsumerTimeoutSeconds
    }

    /// Why a configuration is refused at start-up.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The longest a received delivery can stay unacknowledged, in seconds: the deliveries held
    /// (`prefetch`) are worked off `concurrency` at a time, each within the job time limit, plus one
    /// failed batch attempt per batch before its jobs go one by one.
    public var worstUnacknowledgedSeconds: Int {
        let batch = max(batchSize, 1)
        let batchAttempts = batch > 1 ? (Int(prefetch) + batch - 1) / batch : 0
        let units = Int(prefetch) + batchAttempts
        let rounds = (units + concurrency - 1) / max(concurrency, 1)
        return rounds * jobTimeLimitSeconds
    }

    /// Checks the settings, and that a delivery can never reach the broker's `consumer_timeout`.
    /// - Throws: ``Invalid``.
    public func validate() throws(Invalid) {
        guard prefetch >= 1, concurrency >= 1, batchSize >= 1, retryAttempts >= 1, jobTimeLimitSeconds >= 1 else {
            throw Invalid(
                description: "prefetch, concurrency, batch size, retry attempts and job time limit must be ≥ 1")
        }
        let worst = worstUnacknowledgedSeconds
        guard worst < brokerConsumerTimeoutSeconds else {
            throw Invalid(
                description:
                    "prefetch \(prefetch), concurrency \(concurrency), batch size \(batchSize) and a job time limit of \(jobTimeLimitSeconds) s can hold a delivery \(worst) s, reaching the broker's consumer_timeout (\(brokerConsumerTimeoutSeconds) s)"
            )
        }
    }
}
