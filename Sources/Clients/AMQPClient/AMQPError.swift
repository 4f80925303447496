/// An AMQP failure, with the broker's reply code when it sent one (AMQP 0-9-1 §1.9: 312 NO_ROUTE,
/// 404 NOT_FOUND, 406 PRECONDITION_FAILED, 320 CONNECTION_FORCED, …).
///
/// ``description`` names the code and reply code only; ``debugDescription`` (`String(reflecting:)`, for
/// logs) adds the broker's or rabbitmq-c's text, which can name queues and arguments.
public struct AMQPError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Code: String, Sendable {
        /// No connection could be made, or the connection dropped.
        case connectionFailed = "connection_failed"
        /// The broker closed the channel (see ``replyCode``).
        case channelClosed = "channel_closed"
        /// The broker closed the connection (see ``replyCode``).
        case connectionClosed = "connection_closed"
        /// The broker answered a publish with `basic.nack`.
        case nacked
        /// A `mandatory` publish matched no queue (`basic.return`).
        case unroutable
        /// The broker blocked publishing (`connection.blocked`, for example a memory alarm).
        case blocked
        /// No confirm within the caller's deadline.
        case timedOut = "timed_out"
        /// The connection was closed by this process.
        case closed
        /// The broker cancelled the consumer (`basic.cancel`, for example its queue was deleted).
        case consumerCancelled = "consumer_cancelled"
    }

    public var code: Code
    /// AMQP reply code, when the broker sent one.
    public var replyCode: Int?
    public var message: String

    public init(code: Code, replyCode: Int? = nil, message: String) {
        self.code = code
        self.replyCode = replyCode
        self.message = message
    }

    /// Generic: the code and reply code, never the broker's text.
    public var description: String {
        "AMQPError(\(code.rawValue)\(replyCode.map { ", reply code \($0)" } ?? ""))"
    }

    /// With the broker's or rabbitmq-c's message, for logs.
    public var debugDescription: String {
        "AMQPError(\(code.rawValue)\(replyCode.map { ", reply code \($0)" } ?? "")): \(message)"
    }
}
