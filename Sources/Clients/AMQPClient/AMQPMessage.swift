/// A message to publish: always persistent (delivery mode 2) and `mandatory`.
public struct AMQPMessage: Sendable {
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    /// Unique per message; also how a `basic.return` is matched to its publish.
    public var messageId: String
    /// Content type. Default `application/json`.
    public var contentType: String
    /// The `type` property (the job kind).
    public var type: String?
    public var headers: [String: AMQPFieldValue]

    public init(
        exchange: String, routingKey: String, body: [UInt8], messageId: String,
        contentType: String = "application/json", type: String? = nil, headers: [String: AMQPFieldValue] = [:]
    ) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.messageId = messageId
        self.contentType = contentType
        self.type = type
        self.headers = headers
    }
}

/// A message delivered to a consumer. Settle it exactly once with ``AMQPConnection/ack(_:multiple:)``
/// or ``AMQPConnection/reject(_:requeue:)``.
public struct AMQPDelivery: Sendable {
    /// Delivery tag, valid only on the channel that delivered it (see ``channelGeneration``).
    public let deliveryTag: UInt64
    /// Which channel incarnation delivered the message; a settle for an older generation is dropped,
    /// since the broker has already requeued the message.
    public let channelGeneration: UInt64
    public let redelivered: Bool
    public let exchange: String
    public let routingKey: String
    public let body: [UInt8]
    public let messageId: String?
    public let type: String?
    public let headers: [String: AMQPFieldValue]
}
