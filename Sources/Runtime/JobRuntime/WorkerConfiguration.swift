/// How a worker consumes one queue. Read from the environment in one place (`talent-worker`).
public struct WorkerConfiguration: Sendable {
    /// Unacknowledged deliveries the broker may hand this process. Default 8.
    public var prefetch: UInt16
    /// Jobs handled at once. Default 2 (one per core here).
    public var concurrency: Int
    /// Attempts of a job whose handler throws (database or broker trouble) before it is requeued. Default 5.
    public var retryAttempts: Int
    /// First and largest delay between attempts, in milliseconds (doubling). Defaults 200 / 5000.
    public var retryInitialDelayMilliseconds: Int
    public var retryMaxDelayMilliseconds: Int
    /// Upper bound of one job's run time, in seconds, all attempts included. Default 120.
    public var jobTimeLimitSeconds: Int
    /// Time given to in-flight jobs after SIGTERM, in seconds. Default 30.
    public var drainGraceSeconds: Int
    /// The broker's `consumer_timeout` in seconds (RabbitMQ default 1800): a delivery unacked longer
    /// closes the channel. Default 1800.
    public var brokerConsumerTimeoutSeconds: Int

    public init(
        prefetch: UInt16 = 8, concurrency: Int = 2, retryAttempts: Int = 5, retryInitialDelayMilliseconds: Int = 200,
        retryMaxDelayMilliseconds: Int = 5000, jobTimeLimitSeconds: Int = 120, drainGraceSeconds: Int = 30,
        brokerConsumerTimeoutSeconds: Int = 1800
    ) {
        self.prefetch = prefetch
        self.concurrency = concurrency
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

    /// Checks that a delivery can never reach the broker's `consumer_timeout`: the last of `prefetch`
    /// deliveries waits for the ones before it, `concurrency` at a time.
    /// - Throws: ``Invalid``.
    public func validate() throws(Invalid) {
        guard prefetch >= 1, concurrency >= 1 else {
            throw Invalid(description: "prefetch and concurrency must be ≥ 1")
        }
        let rounds = (Int(prefetch) + concurrency - 1) / concurrency
        let worstWait = rounds * jobTimeLimitSeconds
        guard worstWait < brokerConsumerTimeoutSeconds else {
            throw Invalid(
                description:
                    "prefetch \(prefetch) / concurrency \(concurrency) × job time limit \(jobTimeLimitSeconds) s = \(worstWait) s reaches the broker's consumer_timeout (\(brokerConsumerTimeoutSeconds) s)"
            )
        }
    }
}
