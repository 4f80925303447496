import AMQPClient
import Foundation
import JobRuntime
import PostgresClient
import TalentCore
import TalentTestSupport
import Testing

@Suite("PostgreSQL client")
struct PostgresClientTests {
    @Test func parametersAndByteaRoundTrip() async throws {
        let environment = try TestEnvironment.current()
        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 2))
        defer { pool.shutdown() }
        let bytes = (0...255).map(UInt8.init) + [0, 0, 255]
        let result = try await pool.withConnection { connection in
            try connection.query(
                "SELECT $1::bytea AS b, $2::text AS t, $3::int AS i, $4::bool AS f, $5::uuid AS u, $6::text AS n",
                [PostgresValue.bytes(bytes), "統一 'quoted' $1", 42, true, UUID(), String?.none])
        }
        let row = try #require(result.first)
        #expect(try row.bytes("b") == bytes)
        #expect(try row.string("t") == "統一 'quoted' $1")
        #expect(try row.int("i") == 42)
        #expect(try row.bool("f") == true)
        #expect(try row.uuid("u") != nil)
        #expect(try row.string("n") == nil)
    }

    @Test func errorsCarryTheSQLStateAndTransactionsRollBack() async throws {
        let environment = try TestEnvironment.current()
        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 1))
        defer { pool.shutdown() }
        let table = "client_test_\(UInt32.random(in: 0...UInt32.max))"
        try await pool.withConnection { connection in
            try connection.query("CREATE TABLE \(table) (id int PRIMARY KEY)")
        }
        await #expect(throws: PostgresError.self) {
            try await pool.transaction { connection in
                try connection.execute(prepared: "ins", "INSERT INTO \(table) VALUES ($1)", [1])
                try connection.execute(prepared: "ins", "INSERT INTO \(table) VALUES ($1)", [1])
            }
        }
        do {
            try await pool.withConnection { connection in
                try connection.query("INSERT INTO \(table) VALUES (2), (2)")
            }
        } catch let error as PostgresError {
            #expect(error.sqlState == .uniqueViolation)
            #expect(error.code == .statementFailed)
        }
        let count = try await pool.withConnection { connection in
            try connection.query("SELECT count(*) AS n FROM \(table)").first?.int("n")
        }
        #expect(count == 0, "the failed transaction left rows behind")
    }

    @Test func unreachableServerIsAConnectionError() async throws {
        let pool = PostgresPool(configuration: .init(conninfo: "host=127.0.0.1 port=1 connect_timeout=2", size: 1))
        defer { pool.shutdown() }
        do {
            _ = try await pool.withConnection { connection in try connection.query("SELECT 1").rows.count }
            Issue.record("expected a connection error")
        } catch let error as PostgresError {
            #expect(error.code == .connectionFailed)
        }
    }
}

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
        try await connection.declare(TalentTopology.definition)
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

@Suite("Migrations")
struct MigrationTests {
    /// `talentctl migrate --dry-run` fails while something is pending, and succeeds once applied;
    /// concurrent runners apply each migration once.
    @Test func dryRunFailsWhilePendingAndConcurrentRunsApplyOnce() async throws {
        let environment = try TestEnvironment.current()
        let database = "talent_test_migrate_\(UInt32.random(in: 0...UInt32.max))"
        let admin = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 1))
        defer { admin.shutdown() }
        try await admin.withConnection { connection in try connection.query("CREATE DATABASE \(database)") }
        let conninfo = environment.postgresConnInfo.replacingOccurrences(
            of: "dbname=talent_test", with: "dbname=\(database)")
        let processEnvironment = environment.processEnvironment(extra: ["TALENT_POSTGRES_URL": conninfo])

        @Sendable func talentctl(_ arguments: [String]) async throws -> (Int32, String) {
            let output = environment.runDirectory.appendingPathComponent("talentctl-\(UUID().uuidString).out").path
            let pid = try ChildProcess.spawn(
                environment.binDirectory.appendingPathComponent("talentctl").path, arguments,
                environment: processEnvironment, output: output)
            let status = ChildProcess.exitCode(await ChildProcess.wait(pid))
            return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
        }
        let (pendingStatus, pendingOutput) = try await talentctl(["migrate", "--dry-run"])
        #expect(pendingStatus == 1)
        #expect(pendingOutput.contains("pending\t0001_attachments_and_jobs"))

        let runs = try await withThrowingTaskGroup(of: (Int32, String).self) { group in
            for _ in 0..<3 { group.addTask { try await talentctl(["migrate"]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(runs.allSatisfy { $0.0 == 0 })
        #expect(runs.filter { $0.1.contains("applied\t0001_attachments_and_jobs") }.count == 1)
        let (upToDateStatus, upToDate) = try await talentctl(["migrate", "--dry-run"])
        #expect(upToDateStatus == 0)
        #expect(upToDate.contains("up to date"))
        try await admin.withConnection { connection in try connection.query("DROP DATABASE \(database) WITH (FORCE)") }
    }
}
