import Foundation
import TalentTestSupport
import Testing

@testable import AMQPClient

@Suite("AMQP client")
struct AMQPClientTests {
    static func queue(_ environment: TestEnvironment, _ connection: AMQPConnection) async throws -> String {
        let name = "test.client.\(UUID().uuidString.prefix(8))"
        try await connection.declare(
            AMQPTopology(
                exchanges: [AMQPTopology.Exchange(name: "test.client", type: "direct")],
                queues: [AMQPTopology.Queue(name: name, arguments: ["x-queue-type": .string("quorum")])],
                bindings: [AMQPTopology.Binding(queue: name, exchange: "test.client", routingKey: name)]))
        return name
    }

    /// Many publishes in flight at once (a confirm window), each confirmed; then consumed with manual
    /// acks and prefetch until the queue is empty.
    @Test func confirmsAWindowAndConsumesWithAcks() async throws {
        let environment = try TestEnvironment.current()
        let publisher = AMQPConnection(configuration: environment.amqpConfiguration(name: "test publisher"))
        let consumer = AMQPConnection(configuration: environment.amqpConfiguration(name: "test consumer"))
        let queue = try await Self.queue(environment, publisher)
        let count = 500
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await publisher.publish(
                        AMQPMessage(
                            exchange: "test.client", routingKey: queue, body: Array("message \(index)".utf8),
                            messageId: "m-\(index)", headers: ["x-index": .int(Int64(index))]))
                }
            }
            try await group.waitForAll()
        }
        #expect(try await publisher.queueState(queue).messages == count)
        var seen = Set<Int64>()
        for try await delivery in consumer.consume(queue: queue, prefetch: 50) {
            if let index = delivery.headers["x-index"]?.intValue { seen.insert(index) }
            consumer.ack(delivery)
            if seen.count == count { break }
        }
        #expect(seen.count == count)
        consumer.stopConsuming()
        let empty = try await publisher.queueState(queue)
        #expect(empty.messages == 0)
        await consumer.close()
        await publisher.close()
    }

    /// A mandatory publish that matches no queue fails with `unroutable` (312 NO_ROUTE), never succeeds.
    @Test func unroutablePublishFails() async throws {
        let environment = try TestEnvironment.current()
        let publisher = AMQPConnection(configuration: environment.amqpConfiguration(name: "test unroutable"))
        _ = try await Self.queue(environment, publisher)
        do {
            try await publisher.publish(
                AMQPMessage(
                    exchange: "test.client", routingKey: "no.such.queue", body: [1], messageId: UUID().uuidString))
            Issue.record("an unroutable message was confirmed as published")
        } catch let error as AMQPError {
            #expect(error.code == .unroutable)
            #expect(error.replyCode == 312)
        }
        // The connection is still usable.
        let queue = try await Self.queue(environment, publisher)
        try await publisher.publish(AMQPMessage(exchange: "test.client", routingKey: queue, body: [2], messageId: "ok"))
        await publisher.close()
    }

    /// Declaring a queue with other arguments than the broker has is refused with 406, and the
    /// connection recovers for the next command.
    @Test func topologyMismatchIsA406() async throws {
        let environment = try TestEnvironment.current()
        let connection = AMQPConnection(configuration: environment.amqpConfiguration(name: "test mismatch"))
        let queue = try await Self.queue(environment, connection)
        do {
            try await connection.declare(
                AMQPTopology(exchanges: [], queues: [AMQPTopology.Queue(name: queue, arguments: [:])], bindings: []))
            Issue.record("mismatching declare succeeded")
        } catch let error as AMQPError {
            #expect(error.replyCode == 406)
        }
        _ = try await Self.queue(environment, connection)  // the connection recovered from the 406
        await connection.close()
    }

    /// Settling a delivery after its channel died is dropped instead of acking an unrelated message
    /// on the new channel; the message comes back redelivered.
    @Test func staleDeliveryTagsAreNeverAckedOnANewChannel() async throws {
        let environment = try TestEnvironment.current()
        let publisher = AMQPConnection(configuration: environment.amqpConfiguration(name: "test stale publisher"))
        let queue = try await Self.queue(environment, publisher)
        try await publisher.publish(
            AMQPMessage(exchange: "test.client", routingKey: queue, body: [1], messageId: "stale"))
        let consumer = AMQPConnection(configuration: environment.amqpConfiguration(name: "test stale consumer"))
        var iterator = consumer.consume(queue: queue, prefetch: 1).makeAsyncIterator()
        let first = try #require(try await iterator.next())
        #expect(!first.redelivered)
        // Break the channel: a declare mismatch closes it (406) and the connection is re-established.
        try? await consumer.declare(
            AMQPTopology(exchanges: [], queues: [AMQPTopology.Queue(name: queue, arguments: [:])], bindings: []))
        consumer.ack(first)  // stale generation: must be dropped
        let second = try #require(try await iterator.next())
        #expect(second.redelivered)
        #expect(second.channelGeneration > first.channelGeneration)
        consumer.ack(second)
        consumer.stopConsuming()
        _ = try await publisher.wait(forEmpty: queue)
        await consumer.close()
        await publisher.close()
    }

    /// The relay's passive declare of a deleted queue must not tear down the publishing connection.
    @Test func aMissingQueueInspectionKeepsTheConnection() async throws {
        let environment = try TestEnvironment.current()
        let connection = AMQPConnection(configuration: environment.amqpConfiguration(name: "test inspect missing"))
        let queue = try await Self.queue(environment, connection)
        try await connection.publish(
            AMQPMessage(exchange: "test.client", routingKey: queue, body: Array("a".utf8), messageId: "a"))
        do {
            _ = try await connection.queueState("test.client.missing.\(UUID().uuidString)")
            Issue.record("expected 404 for a missing queue")
        } catch let error as AMQPError {
            #expect(error.replyCode == 404)
        }
        try await connection.publish(
            AMQPMessage(exchange: "test.client", routingKey: queue, body: Array("b".utf8), messageId: "b"))
        #expect(try await connection.queueState(queue).messages == 2)
        #expect(connection.shared.connects.load(ordering: .relaxed) == 1, "the connection was re-opened")
        await connection.close()
    }

    /// Every command gets an answer, also one submitted while the I/O thread is closing.
    @Test func commandsRacingTheCloseAreAnswered() async throws {
        let environment = try TestEnvironment.current()
        for round in 0..<10 {
            let connection = AMQPConnection(
                configuration: environment.amqpConfiguration(name: "test close race \(round)"))
            let queue = try await Self.queue(environment, connection)
            let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        if index == 10 { await connection.close() }
                        do {
                            try await connection.publish(
                                AMQPMessage(
                                    exchange: "test.client", routingKey: queue, body: [UInt8(index)],
                                    messageId: "\(index)"),
                                timeout: .seconds(30))
                        } catch {}
                        return true
                    }
                }
                // A command that is never answered would hold this group until the test times out.
                return try await group.reduce(0) { $1 ? $0 + 1 : $0 }
            }
            #expect(answered == 50)
            await #expect(throws: AMQPError.self) {
                try await connection.declare(AMQPTopology(exchanges: [], queues: [], bindings: []))
            }
        }
    }

    /// The wake-up eventfd of each connection is closed with it.
    @Test func closedConnectionsReleaseTheirDescriptors() async throws {
        func openDescriptors() -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        }
        let before = openDescriptors()
        for index in 0..<200 {
            // Port 1: nothing listens; the connection only retries, then closes.
            let connection = AMQPConnection(
                configuration: AMQPConfiguration(port: 1, connectionName: "test descriptors \(index)"))
            await connection.close()
        }
        var after = openDescriptors()
        for _ in 0..<50 where after - before >= 100 {
            try await Task.sleep(for: .milliseconds(100))
            after = openDescriptors()
        }
        #expect(after - before < 100, "\(after - before) descriptors more after 200 closed connections")
    }

    /// `description` is generic; the broker's text is in `debugDescription` only.
    @Test func errorDescriptionsAreGeneric() {
        let error = AMQPError(code: .channelClosed, replyCode: 406, message: "inequivalent arg 'x-queue-type'")
        #expect(error.description == "AMQPError(channel_closed, reply code 406)")
        #expect(String(reflecting: error).contains("inequivalent arg"))
    }
}

extension AMQPConnection {
    func wait(forEmpty queue: String) async throws -> Bool {
        for _ in 0..<100 {
            if try await queueState(queue).messages == 0 { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
