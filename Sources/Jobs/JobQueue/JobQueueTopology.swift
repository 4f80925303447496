import AMQPClient

/// The broker objects one job kind travels through, and how they are declared.
///
/// ```
/// publish ─▶ jobsExchange ──(routingKey)──▶ workQueue ──(delivery limit)──▶ deadLetterExchange ─▶ parkingQueue
///                 ▲                            │ handler failed: consumer publishes a copy
///                 └──(TTL expiry)── retry tier n ◀── retryExchange        (attempt header + 1)
/// retries exhausted or undecodable: consumer publishes to deadLetterExchange with reason headers
/// ```
///
/// All queues are quorum queues. Dead-lettering (TTL expiry of a retry tier, delivery limit of the
/// work queue) is `at-least-once` (RabbitMQ ≥ 3.10, requires `x-overflow: reject-publish`), so a
/// message is not dropped between queues when the broker restarts.
public struct JobQueueTopology: Sendable {
    /// One delay queue: messages wait `delayMilliseconds` (`x-message-ttl`), then return to the work queue.
    public struct RetryTier: Sendable, Hashable {
        /// Queue name, also its routing key on the retry exchange.
        public var queue: String
        public var delayMilliseconds: Int64
        public init(queue: String, delayMilliseconds: Int64) {
            self.queue = queue
            self.delayMilliseconds = delayMilliseconds
        }
    }

    /// Routing key on the jobs and dead-letter exchanges (the job kind).
    public var routingKey: String
    public var jobsExchange: String
    public var workQueue: String
    public var retryExchange: String
    /// Tier `n` (0-based here) holds a job's `n + 1`-th retry; more failures than tiers park the job.
    public var retryTiers: [RetryTier]
    public var deadLetterExchange: String
    public var parkingQueue: String
    /// Deliveries of one message (a worker dying on it, connections lost) before the broker
    /// dead-letters it to the parking queue with `x-death` reason `delivery_limit`.
    public var deliveryLimit: Int64

    public init(
        routingKey: String, jobsExchange: String, workQueue: String, retryExchange: String, retryTiers: [RetryTier],
        deadLetterExchange: String, parkingQueue: String, deliveryLimit: Int64
    ) {
        self.routingKey = routingKey
        self.jobsExchange = jobsExchange
        self.workQueue = workQueue
        self.retryExchange = retryExchange
        self.retryTiers = retryTiers
        self.deadLetterExchange = deadLetterExchange
        self.parkingQueue = parkingQueue
        self.deliveryLimit = deliveryLimit
    }

    /// Queues that hold this kind's jobs still to be done (work queue and retry tiers).
    public var pendingQueues: [String] { [workQueue] + retryTiers.map(\.queue) }

    /// Exchanges, queues and bindings of this kind.
    public var definition: AMQPTopology {
        let atLeastOnce: [String: AMQPFieldValue] = [
            "x-queue-type": .string("quorum"),
            "x-dead-letter-strategy": .string("at-least-once"),
            "x-overflow": .string("reject-publish"),
        ]
        var work = atLeastOnce
        work["x-dead-letter-exchange"] = .string(deadLetterExchange)
        work["x-delivery-limit"] = .int(deliveryLimit)
        var queues = [AMQPTopology.Queue(name: workQueue, arguments: work)]
        var bindings = [AMQPTopology.Binding(queue: workQueue, exchange: jobsExchange, routingKey: routingKey)]
        for tier in retryTiers {
            var arguments = atLeastOnce
            arguments["x-message-ttl"] = .int(tier.delayMilliseconds)
            arguments["x-dead-letter-exchange"] = .string(jobsExchange)
            arguments["x-dead-letter-routing-key"] = .string(routingKey)
            queues.append(AMQPTopology.Queue(name: tier.queue, arguments: arguments))
            bindings.append(AMQPTopology.Binding(queue: tier.queue, exchange: retryExchange, routingKey: tier.queue))
        }
        queues.append(AMQPTopology.Queue(name: parkingQueue, arguments: ["x-queue-type": .string("quorum")]))
        bindings.append(
            AMQPTopology.Binding(queue: parkingQueue, exchange: deadLetterExchange, routingKey: routingKey))
        return AMQPTopology(
            exchanges: [jobsExchange, retryExchange, deadLetterExchange].map {
                AMQPTopology.Exchange(name: $0, type: "direct")
            },
            queues: queues, bindings: bindings)
    }
}
