import AMQPClient
import Logging
import Synchronization

/// Consumes one queue and runs a ``JobHandler`` on each delivery, `concurrency` at a time.
///
/// Settlement rules: ack after the handler returned (its transaction committed); reject without
/// requeue (→ dead-letter exchange) when the message cannot be decoded; requeue after
/// ``WorkerConfiguration/retryAttempts`` failed attempts (the queue's delivery limit dead-letters a
/// message that keeps failing). ``drain()`` stops taking deliveries and lets in-flight jobs finish.
public final class JobConsumer<Handler: JobHandler>: Sendable {
    let connection: AMQPConnection
    let queue: String
    let handler: Handler
    let configuration: WorkerConfiguration
    let logger: Logger
    let counters = Counters()

    /// Processed / retried / dead-lettered counts since start.
    public final class Counters: Sendable {
        public let acked = Atomic<Int>(0)
        public let retried = Atomic<Int>(0)
        public let requeued = Atomic<Int>(0)
        public let deadLettered = Atomic<Int>(0)
    }

    public init(
        connection: AMQPConnection, queue: String, handler: Handler, configuration: WorkerConfiguration,
        logger: Logger
    ) {
        self.connection = connection
        self.queue = queue
        self.handler = handler
        self.configuration = configuration
        self.logger = logger
    }

    public var statistics: Counters { counters }

    /// Consumes until ``drain()`` (returns normally once in-flight jobs finished) or until the consumer
    /// is lost for good (throws ``AMQPError``).
    public func run() async throws {
        let deliveries = connection.consume(queue: queue, prefetch: configuration.prefetch)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for try await delivery in deliveries {
                if inFlight >= configuration.concurrency {
                    try await group.next()
                    inFlight -= 1
                }
                group.addTask { await self.process(delivery) }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }

    /// Stops taking new deliveries; ``run()`` returns when the jobs in flight have been settled.
    public func drain() {
        connection.stopConsuming()
    }

    func process(_ delivery: AMQPDelivery) async {
        let message: Handler.Message
        do {
            message = try handler.decode(delivery)
        } catch {
            logger.error(
                "dead-lettering undecodable message",
                metadata: [
                    "code": "\(error.code.rawValue)", "detail": "\(error.detail)",
                    "messageId": "\(delivery.messageId ?? "")",
                ])
            await handler.deadLettered(delivery, rejection: error)
            connection.reject(delivery, requeue: false)
            counters.deadLettered.add(1, ordering: .relaxed)
            return
        }
        var delay = configuration.retryInitialDelayMilliseconds
        for attempt in 1...max(configuration.retryAttempts, 1) {
            do {
                try await handler.handle(message)
                connection.ack(delivery)
                counters.acked.add(1, ordering: .relaxed)
                return
            } catch {
                logger.warning(
                    "job attempt failed",
                    metadata: [
                        "attempt": "\(attempt)", "error": "\(error)", "messageId": "\(delivery.messageId ?? "")",
                    ])
                guard attempt < configuration.retryAttempts else { break }
                counters.retried.add(1, ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(delay))
                delay = min(delay * 2, configuration.retryMaxDelayMilliseconds)
            }
        }
        // Let the broker redeliver it later (possibly to another worker); its delivery limit parks a
        // message that never succeeds in the dead-letter queue.
        connection.reject(delivery, requeue: true)
        counters.requeued.add(1, ordering: .relaxed)
    }
}
