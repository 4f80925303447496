/// Exchanges, queues and bindings, declared from one definition (durable, never auto-deleted).
///
/// Declaring a queue that exists with other arguments fails with 406 PRECONDITION_FAILED: keep the
/// definition in one place and treat that failure as a configuration error.
public struct AMQPTopology: Sendable, Hashable {
    public struct Exchange: Sendable, Hashable {
        public var name: String
        /// `direct`, `topic`, `fanout` or `headers`.
        public var type: String
        public init(name: String, type: String) {
            self.name = name
            self.type = type
        }
    }

    public struct Queue: Sendable, Hashable {
        public var name: String
        /// Queue arguments (`x-queue-type`, `x-dead-letter-exchange`, `x-delivery-limit`, …).
        public var arguments: [String: AMQPFieldValue]
        public init(name: String, arguments: [String: AMQPFieldValue] = [:]) {
            self.name = name
            self.arguments = arguments
        }
    }

    public struct Binding: Sendable, Hashable {
        public var queue: String
        public var exchange: String
        public var routingKey: String
        public init(queue: String, exchange: String, routingKey: String) {
            self.queue = queue
            self.exchange = exchange
            self.routingKey = routingKey
        }
    }

    public var exchanges: [Exchange]
    public var queues: [Queue]
    public var bindings: [Binding]

    public init(exchanges: [Exchange], queues: [Queue], bindings: [Binding]) {
        self.exchanges = exchanges
        self.queues = queues
        self.bindings = bindings
    }
}
