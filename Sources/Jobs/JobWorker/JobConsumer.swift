import AMQPClient
import Foundation
import JobQueue
import Logging
import PostgresClient
import Synchronization
import TalentCore

/// Consumes one job kind's work queue and runs a ``JobHandler`` on its deliveries, `concurrency`
/// batches at a time.
///
/// Settlement rules (see ``JobQueueTopology`` for the queues):
/// - success: ack after the handler returned, that is after its transaction committed;
/// - handler error: up to ``WorkerConfiguration/retryAttempts`` attempts at once with exponential
///   backoff, all within ``WorkerConfiguration/jobTimeLimitSeconds``; then a copy goes to the next
///   retry tier (attempt header + 1, last error) and, once the broker confirmed it, the delivery is acked;
/// - retry tiers exhausted, or undecodable: the job is recorded as dead-lettered, a copy with
///   `x-talent-reason` and `x-talent-last-error` goes to the parking queue, then the delivery is acked;
/// - broker or database unreachable while doing so: the delivery returns to the queue after a pause.
///
/// Effects: ``JobHandler/prepare(_:)`` runs first, outside any transaction; then one transaction locks
/// the batch's job rows (id order), and for each job still `queued` calls
/// ``JobHandler/apply(_:prepared:in:)`` and records its ``JobOutcome`` on the row (the idempotency
/// record), in the handler's order. A redelivery finds the outcome and writes nothing.
///
/// Batches: a slot takes every waiting delivery up to the batch size and applies them in one
/// transaction; if that fails, the same jobs go one by one.
/// ``drain()`` stops taking deliveries and lets those already received finish.
public final class JobConsumer<Handler: JobHandler>: Sendable {
    let connection: AMQPConnection
    let publisher: AMQPConnection
    let jobs: JobStore
    let effects: JobEffects<Handler>
    let queues: JobQueueTopology
    let handler: Handler
    let configuration: WorkerConfiguration
    let logger: Logger
    let counters = Counters()
    let metrics: JobMetrics

    /// Counts since start.
    public final class Counters: Sendable {
        /// Deliveries acked after their effect committed (or was found already committed).
        public let acked = Atomic<Int>(0)
        /// Jobs sent to a retry tier.
        public let retried = Atomic<Int>(0)
        /// Deliveries returned to the work queue (broker or database unreachable while settling).
        public let requeued = Atomic<Int>(0)
        /// Jobs parked in the dead-letter queue.
        public let deadLettered = Atomic<Int>(0)
        /// Batches applied in one transaction, and batches that fell back to one by one.
        public let batches = Atomic<Int>(0)
        public let batchFallbacks = Atomic<Int>(0)
    }

    /// - Parameters:
    ///   - connection: consumes `queues.workQueue` and settles deliveries.
    ///   - publisher: another connection, for retry and parking copies (a connection the broker blocks
    ///     for publishing must not hold up acks).
    ///   - pool: the database the effects and job records are written to.
    public init(
        connection: AMQPConnection, publisher: AMQPConnection, pool: PostgresPool, queues: JobQueueTopology,
        handler: Handler, configuration: WorkerConfiguration, logger: Logger
    ) {
        self.connection = connection
        self.publisher = publisher
        self.jobs = JobStore(pool: pool)
        self.effects = JobEffects(handler: handler, pool: pool)
        self.queues = queues
        self.handler = handler
        self.configuration = configuration
        self.logger = logger
        self.metrics = JobMetrics(kind: Handler.Message.kind)
    }

    public var statistics: Counters { counters }

    /// Whether the consumer is registered with the broker now (readiness): `false` while the
    /// connection is down, after ``drain()`` and before ``consume()`` started.
    public var isConsuming: Bool { connection.isConsuming }

    /// Consumes until ``drain()`` (returns normally once the deliveries received are settled) or until
    /// the consumer is lost for good (throws ``AMQPError`` after settling what it holds). As a
    /// `Service`, ``run()`` calls this and drains on graceful shutdown.
    public func consume() async throws {
        let deliveries = connection.consume(queue: queues.workQueue, prefetch: configuration.prefetch)
        let buffer = DeliveryBuffer()
        let batchSize = max(1, min(configuration.batchSize, handler.maximumBatchSize))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<configuration.concurrency {
                group.addTask {
                    while true {
                        let batch = await buffer.take(limit: batchSize)
                        if batch.isEmpty { return }
                        await self.process(batch)
                    }
                }
            }
            do {
                for try await delivery in deliveries { buffer.put(delivery) }
            } catch {
                buffer.finish()
                try await group.waitForAll()
                throw error
            }
            buffer.finish()
            try await group.waitForAll()
        }
    }

    /// Stops taking new deliveries; ``run()`` returns when the jobs already received have been settled.
    public func drain() {
        connection.stopConsuming()
    }

    /// A delivery's job, or the rejection that parks it (the job id taken from `message-id` when readable).
    func decode(_ delivery: AMQPDelivery) throws(JobRejection) -> Job<Handler.Message> {
        do {
            let message = try JobMessageCodec.decode(Handler.Message.self, from: delivery.body)
            return Job(message: message, attempt: Self.attemptHeader(delivery) + 1)
        } catch {
            throw JobRejection(
                code: JobRejection.Code(error.code), detail: error.detail,
                jobId: delivery.messageId.flatMap(UUID.init(uuidString:)))
        }
    }

    /// Retry tiers the delivery went through (`x-talent-attempt`). The header comes from the message:
    /// clamped, never used unchecked.
    static func attemptHeader(_ delivery: AMQPDelivery) -> Int {
        let header = Int(clamping: delivery.headers[JobHeaders.attempt]?.intValue ?? 0)
        return min(max(header, 0), 1_000)
    }

    func process(_ batch: [AMQPDelivery]) async {
        metrics.inFlight.increment(by: Double(batch.count))
        defer { metrics.inFlight.decrement(by: Double(batch.count)) }
        var decoded: [(delivery: AMQPDelivery, job: Job<Handler.Message>)] = []
        for delivery in batch {
            do {
                decoded.append((delivery, try decode(delivery)))
            } catch {
                logger.error(
                    "parking undecodable message",
                    metadata: ["code": "\(error.code.rawValue)", "messageId": "\(delivery.messageId ?? "")"])
                await park(delivery, jobId: error.jobId, rejection: error)
            }
        }
        metrics.started.increment(by: Int64(decoded.count))
        if decoded.count > 1 {
            let jobs = decoded.map(\.job)
            do {
                try await withTimeLimit(seconds: configuration.jobTimeLimitSeconds) { [self] in
                    try await self.apply(jobs)
                }
                for entry in decoded { connection.ack(entry.delivery) }
                counters.acked.add(decoded.count, ordering: .relaxed)
                counters.batches.add(1, ordering: .relaxed)
                return
            } catch {
                counters.batchFallbacks.add(1, ordering: .relaxed)
                metrics.batchFallbacks.increment()
                logger.warning(
                    "batch failed; applying its jobs one by one",
                    metadata: ["size": "\(decoded.count)", "error": "\(String(reflecting: error))"])
            }
        }
        for entry in decoded { await processOne(entry.delivery, entry.job) }
    }

    /// Prepares the jobs, then applies them in one transaction with their records.
    func apply(_ batch: [Job<Handler.Message>]) async throws {
        let start = ContinuousClock.now
        let results = try await effects.apply(batch)
        metrics.applied(results, requestedAt: batch.map(\.message.requestedAt), since: start)
        for (job, result) in zip(batch, results) {
            switch result {
            case .applied(.refused(let code, _)):
                logger.info("job refused", metadata: ["jobId": "\(job.id)", "code": "\(code)"])
            case .unknownJob:
                logger.warning("job unknown for its unit; nothing written", metadata: ["jobId": "\(job.id)"])
            case .applied(.succeeded), .alreadyProcessed:
                break
            }
        }
    }

    /// One job: attempts at once, then a retry tier, then parking.
    func processOne(_ delivery: AMQPDelivery, _ job: Job<Handler.Message>) async {
        do {
            try await withTimeLimit(seconds: configuration.jobTimeLimitSeconds) { [self] in
                try await self.attempts(job)
            }
            connection.ack(delivery)
            counters.acked.add(1, ordering: .relaxed)
            return
        } catch {
            let attempt = min(job.attempt - 1, queues.retryTiers.count)
            if attempt < queues.retryTiers.count {
                await retry(
                    delivery, jobId: job.id, tier: queues.retryTiers[attempt], attempt: attempt + 1, error: error)
            } else {
                await park(
                    delivery, jobId: job.id,
                    rejection: JobRejection(
                        code: .retriesExhausted,
                        detail: "failed in \(attempt + 1) rounds of attempts; last error: \(String(reflecting: error))",
                        jobId: job.id))
            }
        }
    }

    /// Up to `retryAttempts` attempts with exponential backoff; rethrows the last error.
    func attempts(_ job: Job<Handler.Message>) async throws {
        var delay = configuration.retryInitialDelayMilliseconds
        var attempt = 1
        while true {
            do {
                try await apply([job])
                return
            } catch {
                guard attempt < configuration.retryAttempts, !Task.isCancelled else { throw error }
                logger.warning(
                    "job attempt failed",
                    metadata: ["attempt": "\(attempt)", "error": "\(String(reflecting: error))", "jobId": "\(job.id)"])
                try await Task.sleep(for: .milliseconds(delay))
                delay = min(delay * 2, configuration.retryMaxDelayMilliseconds)
                attempt += 1
            }
        }
    }

    /// Sends a copy to `tier` and acks the delivery once the broker confirmed the copy.
    func retry(
        _ delivery: AMQPDelivery, jobId: UUID, tier: JobQueueTopology.RetryTier, attempt: Int, error: any Error
    ) async {
        var headers = Self.carriedHeaders(delivery)
        headers[JobHeaders.attempt] = .int(Int64(attempt))
        headers[JobHeaders.lastError] = .string(Self.truncated("\(String(reflecting: error))"))
        guard
            await replace(
                delivery, jobId: jobId, with: headers, exchange: queues.retryExchange, routingKey: tier.queue,
                what: "retry copy")
        else { return }
        counters.retried.add(1, ordering: .relaxed)
        metrics.retried.increment()
        logger.warning(
            "job failed; retrying later",
            metadata: [
                "messageId": "\(delivery.messageId ?? "")", "attempt": "\(attempt)",
                "delayMilliseconds": "\(tier.delayMilliseconds)", "error": "\(String(reflecting: error))",
            ])
    }

    /// Records the job as dead-lettered, sends a copy with the reason to the parking queue, then acks.
    func park(_ delivery: AMQPDelivery, jobId: UUID?, rejection: JobRejection) async {
        if let jobId {
            do {
                try await jobs.markDeadLettered(id: jobId, code: rejection.code.rawValue, detail: rejection.detail)
            } catch {
                return await requeueAfterPause(
                    delivery, because: "dead-letter record not written: \(String(reflecting: error))")
            }
        }
        var headers = Self.carriedHeaders(delivery)
        headers[JobHeaders.reason] = .string(rejection.code.rawValue)
        headers[JobHeaders.lastError] = .string(Self.truncated(rejection.detail))
        headers[JobHeaders.parkedAt] = .string(
            Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        if await replace(
            delivery, jobId: jobId, with: headers, exchange: queues.deadLetterExchange, routingKey: queues.routingKey,
            what: "parked copy")
        {
            counters.deadLettered.add(1, ordering: .relaxed)
            metrics.parked(reason: rejection.code)
        }
    }

    /// Publishes a copy of the delivery (same body, message id and type; `headers`) and acks the
    /// delivery once the broker confirmed the copy; otherwise returns it to its queue after a pause.
    /// A process killed between the confirm and the ack leaves two messages for one job: the job's
    /// idempotency record makes the second a no-op.
    /// - Returns: whether the delivery was replaced (acked).
    func replace(
        _ delivery: AMQPDelivery, jobId: UUID?, with headers: [String: AMQPFieldValue], exchange: String,
        routingKey: String, what: String
    ) async -> Bool {
        let copy = AMQPMessage(
            exchange: exchange, routingKey: routingKey, body: delivery.body,
            messageId: Self.copyMessageId(delivery, jobId: jobId), type: delivery.type, headers: headers)
        do {
            try await publisher.publish(copy, timeout: .seconds(10))
            connection.ack(delivery)
            return true
        } catch {
            await requeueAfterPause(delivery, because: "\(what) not confirmed: \(String(reflecting: error))")
            return false
        }
    }

    /// The `message-id` of a copy: the delivery's own, else the job id from its body, else one derived
    /// from the body (FNV-1a), so every copy of one message carries the same id — never a new random
    /// one, which would make the job look like another job.
    static func copyMessageId(_ delivery: AMQPDelivery, jobId: UUID?) -> String {
        if let messageId = delivery.messageId { return messageId }
        if let jobId { return jobId.uuidString.lowercased() }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in delivery.body {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return "body-" + String(hash, radix: 16)
    }

    func requeueAfterPause(_ delivery: AMQPDelivery, because reason: String) async {
        logger.warning(
            "returning the delivery to its queue",
            metadata: ["messageId": "\(delivery.messageId ?? "")", "reason": "\(reason)"])
        try? await Task.sleep(for: .milliseconds(configuration.retryMaxDelayMilliseconds))
        connection.reject(delivery, requeue: true)
        counters.requeued.add(1, ordering: .relaxed)
        metrics.requeued.increment()
    }

    /// The delivery's headers minus those the broker maintains.
    static func carriedHeaders(_ delivery: AMQPDelivery) -> [String: AMQPFieldValue] {
        delivery.headers.filter { key, _ in key != JobHeaders.deliveryCount && !key.hasPrefix("x-death") }
    }

    static func truncated(_ text: String) -> String {
        text.count <= JobHeaders.maxErrorLength ? text : String(text.prefix(JobHeaders.maxErrorLength - 1)) + "…"
    }
}
