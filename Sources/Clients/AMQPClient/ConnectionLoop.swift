import CRabbitMQ
import Foundation
import Logging

/// The I/O thread of one ``AMQPConnection``: the only code that touches its rabbitmq-c state.
///
/// Not `Sendable`: created and run on the connection's own thread.
final class ConnectionLoop {
    private let configuration: AMQPConfiguration
    private let shared: ConnectionShared
    private let logger: Logger
    private static let channel: amqp_channel_t = 1
    /// Passive declares run on their own channel: the broker closes a channel on a missing queue
    /// (404), and that must not cost the publishing channel its confirms.
    private static let inspectionChannel: amqp_channel_t = 2
    private var inspectionChannelOpen = false

    private var state: amqp_connection_state_t?
    /// Incremented on every successful connect; deliveries carry it so stale settles are dropped.
    private var generation: UInt64 = 0
    private var nextPublishTag: UInt64 = 1
    /// Sent, awaiting `basic.ack`/`basic.nack`, by delivery tag.
    private var unconfirmed: [UInt64: PendingPublish] = [:]
    /// Not yet sent (disconnected, or republished after a reconnect), in order.
    private var outbox: [PendingPublish] = []
    /// Message ids the broker returned as unroutable; their confirm follows the return.
    private var returned: [String: String] = [:]
    private var waitingDeclares: [(AMQPTopology, OneShot<Void>, ContinuousClock.Instant)] = []
    private var waitingInspections: [(String, OneShot<(messages: Int, consumers: Int)>, ContinuousClock.Instant)] = []
    private var consumer: ConsumerSpec?
    /// Topologies declared successfully on this connection; declared again after every reconnect and
    /// after the broker cancels the consumer (its queue was deleted), before publishing or consuming.
    private var declaredTopologies: [AMQPTopology] = []
    private var needsRedeclare = false
    /// Whether `basic.consume` is in effect on the current channel (``AMQPConnection/isConsuming``).
    private var consumerActive: Bool {
        get { shared.consuming.load(ordering: .relaxed) }
        set { shared.consuming.store(newValue, ordering: .relaxed) }
    }
    private var closing: CheckedContinuation<Void, Never>?
    private var reconnectDelay: Int
    private var nextConnectAttempt = ContinuousClock.now
    /// The node of ``AMQPConfiguration/addresses`` the next connect tries (or the open connection uses);
    /// the first one is chosen at random, so that the processes of a system spread over the cluster.
    private var addressIndex: Int
    private var address: AMQPAddress { configuration.addresses[addressIndex] }

    init(configuration: AMQPConfiguration, shared: ConnectionShared, logger: Logger) {
        self.configuration = configuration
        self.shared = shared
        self.logger = logger
        self.reconnectDelay = configuration.reconnectInitialDelayMilliseconds
        self.addressIndex = Int.random(in: 0..<configuration.addresses.count)
    }

    func run() {
        while true {
            for command in shared.take() { handle(command) }
            if let closing {
                shutdown()
                // Commands that raced with the close still get an answer; later ones are refused by `submit`.
                for command in shared.close() { Self.refuse(command) }
                closing.resume()
                return
            }
            expireDeadlines()
            if state == nil, ContinuousClock.now >= nextConnectAttempt { connect() }
            if state != nil {
                redeclareIfNeeded()
                flushOutbox()
                runWaitingRPCs()
                startConsumerIfNeeded()
                if state != nil { readFrames() }
                // Frames and decoded methods live in rabbitmq-c's pools until released; everything
                // read above has been copied into Swift values.
                if let state { amqp_maybe_release_buffers(state) }
            }
            waitForActivity()
        }
    }

    // MARK: Commands

    /// Answers a command that arrives after the connection was closed.
    static func refuse(_ command: Command) {
        let closed = AMQPError(code: .closed, message: "connection closed")
        switch command {
        case .declare(_, let waiter, _): waiter.resume(with: .failure(closed))
        case .inspectQueue(_, let waiter, _): waiter.resume(with: .failure(closed))
        case .publish(let publish): publish.waiter.resume(with: .failure(closed))
        case .consume(let spec): spec.continuation.finish(throwing: closed)
        case .close(let continuation): continuation.resume()
        case .stopConsuming, .settle: break
        }
    }

    private func handle(_ command: Command) {
        switch command {
        case .declare(let topology, let waiter, let deadline):
            waitingDeclares.append((topology, waiter, deadline))
        case .inspectQueue(let queue, let waiter, let deadline):
            waitingInspections.append((queue, waiter, deadline))
        case .publish(let publish):
            if shared.blocked.load(ordering: .relaxed) {
                publish.waiter.resume(with: .failure(AMQPError(code: .blocked, message: "broker blocked publishing")))
            } else {
                outbox.append(publish)
            }
        case .consume(let spec):
            consumer?.continuation.finish()
            consumer = spec
            consumerActive = false
        case .stopConsuming:
            if let state, consumerActive {
                let arena = CArena()
                _ = amqp_basic_cancel(state, Self.channel, arena.bytes(configuration.connectionName))
                if let error = Self.error(from: amqp_get_rpc_reply(state), context: "basic.cancel") {
                    logger.warning("basic.cancel failed", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
            consumer?.continuation.finish()
            consumer = nil
            consumerActive = false
        case .settle(let tag, let deliveryGeneration, let settlement):
            guard let state, deliveryGeneration == generation else {
                logger.debug("settle for an earlier channel dropped", metadata: ["deliveryTag": "\(tag)"])
                return
            }
            let status: Int32
            switch settlement {
            case .ack(let multiple): status = amqp_basic_ack(state, Self.channel, tag, multiple ? 1 : 0)
            case .reject(let requeue): status = amqp_basic_reject(state, Self.channel, tag, requeue ? 1 : 0)
            }
            if status != AMQP_STATUS_OK.rawValue { connectionLost("settle failed: \(Self.describe(status))") }
        case .close(let continuation):
            if closing == nil { closing = continuation } else { continuation.resume() }
        }
    }

    private func expireDeadlines() {
        let now = ContinuousClock.now
        let timedOut = AMQPError(code: .timedOut, message: "no confirm before the deadline")
        // Never-sent messages past their deadline are dropped: their caller was told they failed.
        outbox.removeAll { publish in
            guard publish.deadline <= now else { return false }
            publish.waiter.resume(with: .failure(timedOut))
            return true
        }
        // Sent ones stay tracked (they may still be confirmed and are republished after a reconnect);
        // only their caller stops waiting.
        for publish in unconfirmed.values where publish.deadline <= now {
            publish.waiter.resume(with: .failure(timedOut))
        }
        let notConnected = AMQPError(code: .connectionFailed, message: "not connected to the broker")
        waitingDeclares.removeAll { entry in
            guard entry.2 <= now else { return false }
            entry.1.resume(with: .failure(notConnected))
            return true
        }
        waitingInspections.removeAll { entry in
            guard entry.2 <= now else { return false }
            entry.1.resume(with: .failure(notConnected))
            return true
        }
    }

    // MARK: Connection

    private func connect() {
        guard let newState = amqp_new_connection() else { return scheduleReconnect("out of memory") }
        guard let socket = amqp_tcp_socket_new(newState) else {
            amqp_destroy_connection(newState)
            return scheduleReconnect("cannot create socket")
        }
        var timeout = timeval(tv_sec: configuration.connectTimeoutSeconds, tv_usec: 0)
        let opened = amqp_socket_open_noblock(socket, address.host, Int32(address.port), &timeout)
        guard opened == AMQP_STATUS_OK.rawValue else {
            amqp_destroy_connection(newState)
            return scheduleReconnect("cannot open socket: \(Self.describe(opened))")
        }
        let arena = CArena()
        let capabilities = arena.tableField([
            "connection.blocked": .bool(true), "consumer_cancel_notify": .bool(true),
            "publisher_confirms": .bool(true), "basic.nack": .bool(true),
        ])
        var properties = arena.rawTable([
            ("capabilities", capabilities),
            ("connection_name", arena.field(.string(configuration.connectionName))),
            ("product", arena.field(.string("talent-platform"))),
        ])
        let login = talent_amqp_login_plain(
            newState, configuration.virtualHost, 0, 131_072, Int32(configuration.heartbeatSeconds), &properties,
            configuration.user, configuration.password)
        if let error = Self.error(from: login, context: "login") {
            amqp_destroy_connection(newState)
            return scheduleReconnect(error.debugDescription)
        }
        // A synchronous method must never hold this thread forever (a broker that stopped reading
        // the socket, for example under a resource alarm): past the timeout the connection is dropped.
        var rpcTimeout = timeval(tv_sec: configuration.rpcTimeoutSeconds, tv_usec: 0)
        _ = amqp_set_rpc_timeout(newState, &rpcTimeout)
        _ = amqp_channel_open(newState, Self.channel)
        if let error = Self.error(from: amqp_get_rpc_reply(newState), context: "channel.open") {
            amqp_destroy_connection(newState)
            return scheduleReconnect(error.debugDescription)
        }
        _ = amqp_confirm_select(newState, Self.channel)
        if let error = Self.error(from: amqp_get_rpc_reply(newState), context: "confirm.select") {
            amqp_destroy_connection(newState)
            return scheduleReconnect(error.debugDescription)
        }
        state = newState
        inspectionChannelOpen = false
        needsRedeclare = !declaredTopologies.isEmpty
        generation += 1
        nextPublishTag = 1
        reconnectDelay = configuration.reconnectInitialDelayMilliseconds
        shared.connected.store(true, ordering: .relaxed)
        shared.connects.add(1, ordering: .relaxed)
        shared.blocked.store(false, ordering: .relaxed)
        logger.info("connected", metadata: ["connection": "\(configuration.connectionName)", "node": "\(address)"])
        // Republish what was in flight on the previous connection, before anything newer.
        let inFlight = unconfirmed.sorted { $0.key < $1.key }.map(\.value)
        unconfirmed.removeAll()
        returned.removeAll()
        outbox = inFlight + outbox
        consumerActive = false
        startConsumerIfNeeded()
    }

    /// Waits the current backoff, then tries the next node: a node that refused or dropped the
    /// connection is tried again only after every other one.
    private func scheduleReconnect(_ reason: String) {
        let failed = address
        addressIndex = (addressIndex + 1) % configuration.addresses.count
        logger.warning(
            "broker connection failed; retrying",
            metadata: [
                "reason": "\(reason)", "node": "\(failed)", "nextNode": "\(address)",
                "delayMilliseconds": "\(reconnectDelay)",
            ])
        nextConnectAttempt = ContinuousClock.now.advanced(by: .milliseconds(reconnectDelay))
        reconnectDelay = min(reconnectDelay * 2, configuration.reconnectMaxDelayMilliseconds)
    }

    private func connectionLost(_ reason: String) {
        guard let old = state else { return }
        state = nil
        shared.connected.store(false, ordering: .relaxed)
        amqp_destroy_connection(old)
        consumerActive = false
        scheduleReconnect(reason)
    }

    private func shutdown() {
        if let old = state {
            _ = amqp_channel_close(old, Self.channel, Int32(AMQP_REPLY_SUCCESS))
            _ = amqp_connection_close(old, Int32(AMQP_REPLY_SUCCESS))
            amqp_destroy_connection(old)
            state = nil
        }
        shared.connected.store(false, ordering: .relaxed)
        let closed = AMQPError(code: .closed, message: "connection closed")
        for publish in outbox { publish.waiter.resume(with: .failure(closed)) }
        for publish in unconfirmed.values { publish.waiter.resume(with: .failure(closed)) }
        for entry in waitingDeclares { entry.1.resume(with: .failure(closed)) }
        for entry in waitingInspections { entry.1.resume(with: .failure(closed)) }
        outbox.removeAll()
        unconfirmed.removeAll()
        consumer?.continuation.finish()
        consumer = nil
        consumerActive = false
    }

    // MARK: Synchronous RPCs (declare, passive declare, consume)

    private func runWaitingRPCs() {
        if shared.blocked.load(ordering: .relaxed) {
            // The broker stopped reading this connection: a synchronous method would wait for a reply
            // that cannot come. Fail at once; publishing is refused the same way.
            let blocked = AMQPError(code: .blocked, message: "broker blocked this connection (resource alarm)")
            for entry in waitingDeclares { entry.1.resume(with: .failure(blocked)) }
            for entry in waitingInspections { entry.1.resume(with: .failure(blocked)) }
            waitingDeclares.removeAll()
            waitingInspections.removeAll()
            return
        }
        while let state, !waitingDeclares.isEmpty {
            let (topology, waiter, _) = waitingDeclares.removeFirst()
            if let error = declare(topology, on: state) {
                waiter.resume(with: .failure(error))
                connectionLost("declare failed: \(String(reflecting: error))")
            } else {
                if !declaredTopologies.contains(topology) { declaredTopologies.append(topology) }
                waiter.resume(with: .success(()))
            }
        }
        while let state, !waitingInspections.isEmpty {
            let (queue, waiter, _) = waitingInspections.removeFirst()
            if let error = openInspectionChannel(on: state) {
                waiter.resume(with: .failure(error))
                return connectionLost("channel.open for inspections failed: \(String(reflecting: error))")
            }
            let arena = CArena()
            let ok = amqp_queue_declare(
                state, Self.inspectionChannel, arena.bytes(queue), 1, 0, 0, 0, amqp_empty_table)
            if let ok {
                waiter.resume(with: .success((Int(ok.pointee.message_count), Int(ok.pointee.consumer_count))))
                continue
            }
            let error =
                Self.error(from: amqp_get_rpc_reply(state), context: "queue.declare passive")
                ?? AMQPError(code: .connectionFailed, message: "queue.declare passive failed")
            waiter.resume(with: .failure(error))
            if error.code == .channelClosed {
                // A missing queue (404) closes only the inspection channel: answer the broker and
                // keep the connection, its publishing channel and its unconfirmed messages.
                var closeOk = amqp_channel_close_ok_t(dummy: 0)
                _ = amqp_send_method(state, Self.inspectionChannel, AMQPMethod.channelCloseOk, &closeOk)
                inspectionChannelOpen = false
            } else {
                connectionLost("passive declare failed: \(String(reflecting: error))")
            }
        }
    }

    /// Opens the channel used for passive declares, once per connection.
    private func openInspectionChannel(on state: amqp_connection_state_t) -> AMQPError? {
        guard !inspectionChannelOpen else { return nil }
        _ = amqp_channel_open(state, Self.inspectionChannel)
        if let error = Self.error(from: amqp_get_rpc_reply(state), context: "channel.open") { return error }
        inspectionChannelOpen = true
        return nil
    }

    /// Restores queues deleted under this connection (or while it was down) from the remembered
    /// definitions, so a consumer can be re-created and mandatory publishes route again.
    private func redeclareIfNeeded() {
        guard let state, needsRedeclare else { return }
        for topology in declaredTopologies {
            if let error = declare(topology, on: state) {
                // 406 here means someone re-created a queue with other arguments: keep retrying (with
                // backoff) and let callers see the failures rather than silently running without it.
                return connectionLost("re-declaring the topology failed: \(String(reflecting: error))")
            }
        }
        needsRedeclare = false
    }

    private func declare(_ topology: AMQPTopology, on state: amqp_connection_state_t) -> AMQPError? {
        let arena = CArena()
        for exchange in topology.exchanges {
            _ = amqp_exchange_declare(
                state, Self.channel, arena.bytes(exchange.name), arena.bytes(exchange.type), 0, 1, 0, 0,
                amqp_empty_table)
            if let error = Self.error(from: amqp_get_rpc_reply(state), context: "exchange.declare \(exchange.name)") {
                return error
            }
        }
        for queue in topology.queues {
            _ = amqp_queue_declare(
                state, Self.channel, arena.bytes(queue.name), 0, 1, 0, 0, arena.table(queue.arguments))
            if let error = Self.error(from: amqp_get_rpc_reply(state), context: "queue.declare \(queue.name)") {
                return error
            }
        }
        for binding in topology.bindings {
            _ = amqp_queue_bind(
                state, Self.channel, arena.bytes(binding.queue), arena.bytes(binding.exchange),
                arena.bytes(binding.routingKey), amqp_empty_table)
            if let error = Self.error(from: amqp_get_rpc_reply(state), context: "queue.bind \(binding.queue)") {
                return error
            }
        }
        return nil
    }

    private func startConsumerIfNeeded() {
        guard let state, let consumer, !consumerActive else { return }
        _ = amqp_basic_qos(state, Self.channel, 0, consumer.prefetch, 0)
        if let error = Self.error(from: amqp_get_rpc_reply(state), context: "basic.qos") {
            return connectionLost(error.debugDescription)
        }
        let arena = CArena()
        _ = amqp_basic_consume(
            state, Self.channel, arena.bytes(consumer.queue), arena.bytes("\(configuration.connectionName)"), 0, 0, 0,
            amqp_empty_table)
        if let error = Self.error(from: amqp_get_rpc_reply(state), context: "basic.consume \(consumer.queue)") {
            if error.replyCode == 404 {
                // The queue is gone: consuming cannot go on; the owner decides (exit non-zero).
                consumer.continuation.finish(
                    throwing: AMQPError(code: .consumerCancelled, replyCode: 404, message: error.message))
                self.consumer = nil
            }
            return connectionLost(error.debugDescription)
        }
        consumerActive = true
    }

    // MARK: Publishing

    private func flushOutbox() {
        guard let state, !outbox.isEmpty else { return }
        let pending = outbox
        outbox.removeAll()
        for (index, publish) in pending.enumerated() {
            let arena = CArena()
            var properties = amqp_basic_properties_t()
            properties._flags =
                amqp_flags_t(AMQP_BASIC_CONTENT_TYPE_FLAG) | amqp_flags_t(AMQP_BASIC_DELIVERY_MODE_FLAG)
                | amqp_flags_t(AMQP_BASIC_MESSAGE_ID_FLAG) | amqp_flags_t(AMQP_BASIC_TIMESTAMP_FLAG)
            properties.content_type = arena.bytes(publish.message.contentType)
            properties.delivery_mode = 2
            properties.message_id = arena.bytes(publish.message.messageId)
            properties.timestamp = UInt64(Date().timeIntervalSince1970)
            if let type = publish.message.type {
                properties._flags |= amqp_flags_t(AMQP_BASIC_TYPE_FLAG)
                properties.type = arena.bytes(type)
            }
            if !publish.message.headers.isEmpty {
                properties._flags |= amqp_flags_t(AMQP_BASIC_HEADERS_FLAG)
                properties.headers = arena.table(publish.message.headers)
            }
            let status = amqp_basic_publish(
                state, Self.channel, arena.bytes(publish.message.exchange), arena.bytes(publish.message.routingKey),
                1, 0, &properties, arena.bytes(publish.message.body))
            if status != AMQP_STATUS_OK.rawValue {
                // Not sent (or not known to be): keep it and everything after it for the next connection.
                outbox = Array(pending[index...]) + outbox
                return connectionLost("publish failed: \(Self.describe(status))")
            }
            unconfirmed[nextPublishTag] = publish
            nextPublishTag += 1
        }
    }

    private func confirm(tag: UInt64, multiple: Bool, ack: Bool) {
        let tags = multiple ? unconfirmed.keys.filter { $0 <= tag } : [tag]
        for tag in tags {
            guard let publish = unconfirmed.removeValue(forKey: tag) else { continue }
            if let reason = returned.removeValue(forKey: publish.message.messageId) {
                publish.waiter.resume(with: .failure(AMQPError(code: .unroutable, replyCode: 312, message: reason)))
            } else if ack {
                publish.waiter.resume(with: .success(()))
            } else {
                publish.waiter.resume(with: .failure(AMQPError(code: .nacked, message: "broker nacked the message")))
            }
        }
    }

    // MARK: Frames

    /// Reads every frame already available, without blocking.
    private func readFrames() {
        while let state {
            var frame = amqp_frame_t()
            var immediate = timeval(tv_sec: 0, tv_usec: 0)
            let status = amqp_simple_wait_frame_noblock(state, &frame, &immediate)
            if status == AMQP_STATUS_TIMEOUT.rawValue { return }
            guard status == AMQP_STATUS_OK.rawValue else {
                return connectionLost("read failed: \(Self.describe(status))")
            }
            guard frame.frame_type == AMQPMethod.frameMethod else { continue }
            handleMethod(frame, state: state)
        }
    }

    private func handleMethod(_ frame: amqp_frame_t, state: amqp_connection_state_t) {
        var frame = frame
        let method = talent_amqp_frame_method_id(&frame)
        let decoded = talent_amqp_frame_method_decoded(&frame)
        switch method {
        case AMQPMethod.basicDeliver:
            guard let deliver = decoded?.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee else { return }
            var message = amqp_message_t()
            let reply = amqp_read_message(state, frame.channel, &message, 0)
            if let error = Self.error(from: reply, context: "read message") {
                return connectionLost(error.debugDescription)
            }
            defer { amqp_destroy_message(&message) }
            let properties = message.properties
            let flags = properties._flags
            let delivery = AMQPDelivery(
                deliveryTag: deliver.delivery_tag, channelGeneration: generation,
                redelivered: deliver.redelivered != 0, exchange: deliver.exchange.string,
                routingKey: deliver.routing_key.string, body: message.body.array,
                messageId: flags & amqp_flags_t(AMQP_BASIC_MESSAGE_ID_FLAG) != 0 ? properties.message_id.string : nil,
                type: flags & amqp_flags_t(AMQP_BASIC_TYPE_FLAG) != 0 ? properties.type.string : nil,
                headers: flags & amqp_flags_t(AMQP_BASIC_HEADERS_FLAG) != 0 ? properties.headers.swiftValue : [:])
            if let consumer {
                consumer.continuation.yield(delivery)
            } else {
                _ = amqp_basic_reject(state, Self.channel, deliver.delivery_tag, 1)
            }
        case AMQPMethod.basicAck:
            guard let ack = decoded?.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee else { return }
            confirm(tag: ack.delivery_tag, multiple: ack.multiple != 0, ack: true)
        case AMQPMethod.basicNack:
            guard let nack = decoded?.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee else { return }
            confirm(tag: nack.delivery_tag, multiple: nack.multiple != 0, ack: false)
        case AMQPMethod.basicReturn:
            let info = decoded?.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            var message = amqp_message_t()
            let reply = amqp_read_message(state, frame.channel, &message, 0)
            if let error = Self.error(from: reply, context: "read returned message") {
                return connectionLost(error.debugDescription)
            }
            defer { amqp_destroy_message(&message) }
            if message.properties._flags & amqp_flags_t(AMQP_BASIC_MESSAGE_ID_FLAG) != 0 {
                let text = info.map {
                    "\($0.reply_code) \($0.reply_text.string) (routing key \($0.routing_key.string))"
                }
                returned[message.properties.message_id.string] = text ?? "returned"
            }
        case AMQPMethod.basicCancel:
            logger.warning(
                "broker cancelled the consumer (queue deleted?); re-declaring and re-consuming",
                metadata: ["queue": "\(consumer?.queue ?? "")"])
            consumerActive = false
            needsRedeclare = !declaredTopologies.isEmpty
            redeclareIfNeeded()
            startConsumerIfNeeded()
        case AMQPMethod.connectionBlocked:
            logger.warning("broker blocked publishing (resource alarm)")
            shared.blocked.store(true, ordering: .relaxed)
            let blocked = AMQPError(code: .blocked, message: "broker blocked publishing")
            for publish in outbox { publish.waiter.resume(with: .failure(blocked)) }
            outbox.removeAll()
        case AMQPMethod.connectionUnblocked:
            logger.info("broker unblocked publishing")
            shared.blocked.store(false, ordering: .relaxed)
        case AMQPMethod.channelClose:
            let close = decoded?.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            var closeOk = amqp_channel_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, frame.channel, AMQPMethod.channelCloseOk, &closeOk)
            if frame.channel == Self.inspectionChannel {
                inspectionChannelOpen = false
                return
            }
            connectionLost(
                "channel closed by broker: \(close.map { "\($0.reply_code) \($0.reply_text.string)" } ?? "")")
        case AMQPMethod.connectionClose:
            let close = decoded?.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            var closeOk = amqp_connection_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, 0, AMQPMethod.connectionCloseOk, &closeOk)
            connectionLost(
                "connection closed by broker: \(close.map { "\($0.reply_code) \($0.reply_text.string)" } ?? "")")
        default:
            break
        }
    }

    /// Sleeps until the socket is readable, a command arrives, or 200 ms pass (deadlines, heartbeats,
    /// reconnect attempts are handled on the next turn).
    private func waitForActivity() {
        if let state, amqp_frames_enqueued(state) != 0 || amqp_data_in_buffer(state) != 0 { return }
        if !outbox.isEmpty && state != nil { return }
        var descriptors = [pollfd(fd: shared.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
        if let state { descriptors.append(pollfd(fd: amqp_get_sockfd(state), events: Int16(POLLIN), revents: 0)) }
        _ = poll(&descriptors, nfds_t(descriptors.count), 200)
        shared.drainWakeups()
    }

    // MARK: Errors

    static func describe(_ status: Int32) -> String {
        String(cString: amqp_error_string2(status))
    }

    /// The error in an RPC reply, or `nil` when it is normal.
    static func error(from reply: amqp_rpc_reply_t, context: String) -> AMQPError? {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return nil
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return AMQPError(code: .connectionFailed, message: "\(context): \(describe(reply.library_error))")
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            switch reply.reply.id {
            case AMQPMethod.channelClose:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                return AMQPError(
                    code: .channelClosed, replyCode: Int(close.reply_code),
                    message: "\(context): \(close.reply_text.string)")
            case AMQPMethod.connectionClose:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                return AMQPError(
                    code: .connectionClosed, replyCode: Int(close.reply_code),
                    message: "\(context): \(close.reply_text.string)")
            default:
                return AMQPError(code: .connectionFailed, message: "\(context): unexpected server method")
            }
        default:
            return AMQPError(code: .connectionFailed, message: "\(context): no reply")
        }
    }
}
