import CRabbitMQ
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One AMQP 0-9-1 connection to RabbitMQ through rabbitmq-c, owned by a dedicated I/O thread.
///
/// All rabbitmq-c calls happen on that thread, which also services heartbeats while jobs run
/// elsewhere; callers hand it commands (publish, settle, declare) through a queue. The connection
/// reconnects by itself with exponential backoff, re-opens channel 1 in confirm mode and re-creates
/// the consumer. Use separate connections for publishing and consuming.
///
/// - Publishing: persistent, `mandatory`, publisher confirms over a window: many publishes are in
///   flight at once and each caller waits only for its own confirm. Unroutable messages fail with
///   ``AMQPError/Code/unroutable``. Messages unconfirmed when the connection drops are republished
///   after reconnecting. While the broker blocks the connection, publishes fail at once with
///   ``AMQPError/Code/blocked``.
/// - Consuming: manual acks, prefetch; settling a delivery from an earlier channel generation is a
///   no-op (the broker has already requeued it).
public final class AMQPConnection: Sendable {
    let shared: ConnectionShared
    public let configuration: AMQPConfiguration

    public init(configuration: AMQPConfiguration, logger: Logger = Logger(label: "amqp")) {
        self.configuration = configuration
        self.shared = ConnectionShared()
        let thread = Thread { [shared] in
            ConnectionLoop(configuration: configuration, shared: shared, logger: logger).run()
        }
        thread.name = "amqp-\(configuration.connectionName)"
        thread.start()
    }

    /// Whether the connection is open now.
    public var isConnected: Bool { shared.connected.load(ordering: .relaxed) }
    /// Whether the broker has blocked publishing on this connection (`connection.blocked`).
    public var isBlocked: Bool { shared.blocked.load(ordering: .relaxed) }
    /// Whether this connection's consumer is registered with the broker now (`basic.consume-ok`
    /// received on the open channel): `false` before ``consume(queue:prefetch:)``, while reconnecting,
    /// after ``stopConsuming()`` and after the broker cancelled it.
    public var isConsuming: Bool { shared.consuming.load(ordering: .relaxed) }

    /// Declares exchanges, queues and bindings (durable). Waits for a connection up to `timeout`.
    /// - Throws: ``AMQPError`` (406 `PRECONDITION_FAILED` when a queue exists with other arguments).
    public func declare(_ topology: AMQPTopology, timeout: Duration = .seconds(10)) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            shared.submit(
                .declare(
                    topology, OneShot(continuation), deadline: ContinuousClock.now.advanced(by: timeout)))
        }
    }

    /// Message and consumer counts of a queue (passive declare).
    /// - Throws: ``AMQPError`` with reply code 404 when the queue does not exist.
    public func queueState(_ queue: String, timeout: Duration = .seconds(10)) async throws -> (
        messages: Int, consumers: Int
    ) {
        try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<(messages: Int, consumers: Int), any Error>) in
            shared.submit(
                .inspectQueue(queue, OneShot(continuation), deadline: ContinuousClock.now.advanced(by: timeout)))
        }
    }

    /// Publishes `message` and returns once the broker has confirmed it (`basic.ack`).
    /// - Throws: ``AMQPError`` — `.unroutable`, `.nacked`, `.blocked`, `.timedOut` (no confirm within
    ///   `timeout`; the message may still be delivered), `.closed`.
    public func publish(_ message: AMQPMessage, timeout: Duration = .seconds(5)) async throws {
        if isBlocked { throw AMQPError(code: .blocked, message: "broker blocked publishing") }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            shared.submit(
                .publish(
                    PendingPublish(
                        message: message, waiter: OneShot(continuation),
                        deadline: ContinuousClock.now.advanced(by: timeout))))
        }
    }

    /// Starts consuming `queue` with manual acks and `prefetch` unacknowledged deliveries at most.
    /// The stream survives reconnects; it ends with an error when the broker cancels the consumer and
    /// it cannot be re-created, and ends normally after ``close()``.
    public func consume(queue: String, prefetch: UInt16) -> AsyncThrowingStream<AMQPDelivery, any Error> {
        let (stream, continuation) = AsyncThrowingStream<AMQPDelivery, any Error>.makeStream()
        shared.submit(.consume(ConsumerSpec(queue: queue, prefetch: prefetch, continuation: continuation)))
        return stream
    }

    /// Stops consuming (`basic.cancel`): the stream ends after the deliveries it already holds; later
    /// arrivals are rejected back to the queue. Settling deliveries already received still works.
    public func stopConsuming() {
        shared.submit(.stopConsuming)
    }

    /// Acknowledges a delivery (and, with `multiple`, every earlier one on its channel).
    public func ack(_ delivery: AMQPDelivery, multiple: Bool = false) {
        shared.submit(.settle(delivery.deliveryTag, delivery.channelGeneration, .ack(multiple: multiple)))
    }

    /// Rejects a delivery: requeued, or dead-lettered when the queue has a dead-letter exchange.
    public func reject(_ delivery: AMQPDelivery, requeue: Bool) {
        shared.submit(.settle(delivery.deliveryTag, delivery.channelGeneration, .reject(requeue: requeue)))
    }

    /// Closes the connection: settles already queued are sent first, waiting publishes fail with `.closed`.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            shared.submit(.close(continuation))
        }
    }
}

/// Resumes a continuation at most once, from whichever side (I/O thread or deadline) comes first.
final class OneShot<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, any Error>?>

    init(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with result: Result<Value, any Error>) {
        let taken = continuation.withLock { value -> CheckedContinuation<Value, any Error>? in
            defer { value = nil }
            return value
        }
        taken?.resume(with: result)
    }
}

struct PendingPublish: Sendable {
    let message: AMQPMessage
    let waiter: OneShot<Void>
    let deadline: ContinuousClock.Instant
}

struct ConsumerSpec: Sendable {
    let queue: String
    let prefetch: UInt16
    let continuation: AsyncThrowingStream<AMQPDelivery, any Error>.Continuation
}

enum Settlement: Sendable {
    case ack(multiple: Bool)
    case reject(requeue: Bool)
}

enum Command: Sendable {
    case declare(AMQPTopology, OneShot<Void>, deadline: ContinuousClock.Instant)
    case inspectQueue(String, OneShot<(messages: Int, consumers: Int)>, deadline: ContinuousClock.Instant)
    case publish(PendingPublish)
    case consume(ConsumerSpec)
    case stopConsuming
    case settle(UInt64, UInt64, Settlement)
    case close(CheckedContinuation<Void, Never>)
}

/// State shared between callers and the I/O thread.
final class ConnectionShared: Sendable {
    /// Commands not yet taken by the I/O thread, and whether it has shut down. One lock guards both,
    /// so a command is either queued before the loop's last take (and answered there) or refused at
    /// once: none can slip in between the last take and the close and stay unanswered.
    private let queue = Mutex<(commands: [Command], closed: Bool)>(([], false))
    let connected = Atomic<Bool>(false)
    let blocked = Atomic<Bool>(false)
    let consuming = Atomic<Bool>(false)
    /// Successful connects so far (the first one included), for tests and health.
    let connects = Atomic<Int>(0)
    /// eventfd that wakes the I/O thread from `poll` when a command arrives; closed in `deinit`.
    let wakeDescriptor: Int32 = talent_wakeup_fd()

    deinit {
        if wakeDescriptor >= 0 { _ = Glibc.close(wakeDescriptor) }
    }

    func submit(_ command: Command) {
        let accepted = queue.withLock { queue -> Bool in
            guard !queue.closed else { return false }
            queue.commands.append(command)
            return true
        }
        guard accepted else { return ConnectionLoop.refuse(command) }
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, 8)
    }

    func take() -> [Command] {
        queue.withLock { queue in
            defer { queue.commands.removeAll(keepingCapacity: true) }
            return queue.commands
        }
    }

    /// Marks the connection closed and returns the commands that arrived since the last ``take()``.
    func close() -> [Command] {
        queue.withLock { queue in
            queue.closed = true
            defer { queue.commands.removeAll() }
            return queue.commands
        }
    }

    func drainWakeups() {
        var value: UInt64 = 0
        _ = read(wakeDescriptor, &value, 8)
    }
}
