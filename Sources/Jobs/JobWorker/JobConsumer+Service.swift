import ServiceLifecycle

extension JobConsumer: Service {
    /// Consumes until the service group shuts down gracefully (SIGTERM): then stops taking deliveries
    /// and returns once those received are settled (``drain()``). Past the group's grace period the
    /// remaining jobs are cancelled; their unacknowledged deliveries return to the queue, and their
    /// idempotency records make a later redelivery safe.
    /// - Throws: ``AMQPClient/AMQPError`` when the consumer is lost for good (the group then stops).
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await consume()
        } onGracefulShutdown: {
            self.drain()
        }
    }
}
