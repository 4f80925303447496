import AMQPClient
import Foundation
import JobWorker
import PostgresClient
import Synchronization

/// The raw ceilings the benchmark compares the product with, measured with the project's own clients
/// on the same broker and database: what RabbitMQ and PostgreSQL allow on this machine before any job
/// logic. Each measure uses a scratch quorum queue (`bench.ceiling.*`, deleted by the broker a minute
/// after its last use) and a scratch table (`bench_ceiling`, emptied before each run).
///
/// The statements here deliberately bypass the stores: they are the floor under every job.
public struct Ceilings: Sendable {
    let amqp: @Sendable (String) -> AMQPConfiguration
    let postgres: PostgresPool.Configuration
    /// A message body the size of an association-decision job message.
    let body: [UInt8]

    public init(amqp: @escaping @Sendable (String) -> AMQPConfiguration, postgres: PostgresPool.Configuration) {
        self.amqp = amqp
        self.postgres = postgres
        self.body = Array(
            (#"{"action":"approve","approval":{"contract":{"kind":"fixed_term","startDate":"2026-01-01","endDate":"2029-01-01"},"department":"研发部","entryDate":"2026-01-01","position":"工程师"},"#
                + #""actor":"bench","associationId":"00000000-0000-0000-0000-000000000000","jobId":"00000000-0000-0000-0000-000000000000","requestedAt":"2026-12-01T00:00:00Z","schemaVersion":1,"unitId":"91110108MA6662140M"}"#)
                .utf8)
    }

    /// Publishes `count` persistent, mandatory messages to a fresh quorum queue with confirms,
    /// `window` unconfirmed at most. - Returns: the measurement and the queue (holding the messages).
    public func publish(count: Int, window: Int) async throws -> (BenchMeasurement, queue: String) {
        let connection = AMQPConnection(configuration: amqp("talentctl bench ceiling publish"))
        defer { Task { await connection.close() } }
        let queue = try await scratchQueue(on: connection)
        let elapsed = try await ContinuousClock().measure {
            try await fill(queue, count: count, window: window, on: connection)
        }
        return (
            BenchMeasurement(
                measure: "ceiling.publish", count: count, elapsed: elapsed, parameters: ["window": window]), queue
        )
    }

    /// Consumes `count` messages from a queue filled beforehand and acks each one.
    public func consume(count: Int, prefetch: Int) async throws -> BenchMeasurement {
        let queue = try await filledQueue(count: count)
        let connection = AMQPConnection(configuration: amqp("talentctl bench ceiling consume"))
        let clock = ContinuousClock()
        var began: ContinuousClock.Instant?
        var received = 0
        for try await delivery in connection.consume(queue: queue, prefetch: UInt16(prefetch)) {
            if began == nil { began = clock.now }
            connection.ack(delivery)
            received += 1
            if received == count { break }
        }
        let elapsed = clock.now - (began ?? clock.now)
        connection.stopConsuming()
        await connection.close()
        return BenchMeasurement(
            measure: "ceiling.consume", count: count, elapsed: elapsed, parameters: ["prefetch": prefetch])
    }

    /// Inserts `count` rows (`INSERT … ON CONFLICT DO NOTHING`, one statement per row, as a job writes
    /// at least one), `batch` per transaction, over `connections` connections at once.
    public func insert(count: Int, batch: Int, connections: Int) async throws -> BenchMeasurement {
        let pool = PostgresPool(configuration: .init(conninfo: postgres.conninfo, size: connections))
        defer { pool.shutdown() }
        try await resetTable(pool)
        let ids = (0..<count).map { _ in UUID() }
        let text = String(decoding: body, as: UTF8.self)
        let chunks = stride(from: 0, to: count, by: batch).map { Array(ids[$0..<min($0 + batch, count)]) }
        let elapsed = try await ContinuousClock().measure {
            try await inWindow(chunks.count, window: connections) { index in
                try await pool.transaction { connection in
                    for id in chunks[index] { try Self.insertRow(id, text, on: connection) }
                }
            }
        }
        return BenchMeasurement(
            measure: "ceiling.insert", count: count, elapsed: elapsed,
            parameters: ["batch": batch, "connections": connections])
    }

    /// The batched worker loop without job logic: `consumers` connections, each consuming with
    /// `prefetch`, takes the deliveries waiting (up to `batch`), inserts one row per delivery in one
    /// transaction, commits, then acks them all with one `multiple` ack.
    public func loop(count: Int, batch: Int, prefetch: Int, consumers: Int) async throws -> BenchMeasurement {
        let queue = try await filledQueue(count: count)
        let pool = PostgresPool(configuration: .init(conninfo: postgres.conninfo, size: consumers))
        defer { pool.shutdown() }
        try await resetTable(pool)
        let progress = LoopProgress()
        let buffers = (0..<consumers).map { _ in DeliveryBuffer() }
        let connections = (0..<consumers).map {
            AMQPConnection(configuration: amqp("talentctl bench ceiling loop \($0)"))
        }
        let clock = ContinuousClock()
        let text = String(decoding: body, as: UTF8.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (connection, buffer) in zip(connections, buffers) {
                group.addTask {
                    for try await delivery in connection.consume(queue: queue, prefetch: UInt16(prefetch)) {
                        buffer.put(delivery)
                    }
                }
                group.addTask {
                    while true {
                        let deliveries = await buffer.take(limit: batch)
                        guard let last = deliveries.last else { return }
                        progress.began.withLock { if $0 == nil { $0 = clock.now } }
                        try await pool.transaction { database in
                            for _ in deliveries { try Self.insertRow(UUID(), text, on: database) }
                        }
                        connection.ack(last, multiple: true)
                        let total = progress.done.add(deliveries.count, ordering: .relaxed).newValue
                        if total >= count {
                            for other in buffers { other.finish() }
                            for other in connections { other.stopConsuming() }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = clock.now - (progress.began.withLock { $0 } ?? clock.now)
        for connection in connections { await connection.close() }
        return BenchMeasurement(
            measure: "ceiling.loop", count: count, elapsed: elapsed,
            parameters: ["batch": batch, "prefetch": prefetch, "consumers": consumers])
    }

    // MARK: Helpers

    /// What the loop's consumers share: jobs done, and when the first batch was taken.
    final class LoopProgress: Sendable {
        let done = Atomic<Int>(0)
        let began = Mutex<ContinuousClock.Instant?>(nil)
    }

    func scratchQueue(on connection: AMQPConnection) async throws -> String {
        let queue = "bench.ceiling.\(UUID().uuidString.prefix(8).lowercased())"
        try await connection.declare(
            AMQPTopology(
                exchanges: [],
                queues: [
                    .init(name: queue, arguments: ["x-queue-type": .string("quorum"), "x-expires": .int(60_000)])
                ], bindings: []))
        return queue
    }

    /// A fresh scratch queue holding `count` messages (not timed).
    func filledQueue(count: Int) async throws -> String {
        let filler = AMQPConnection(configuration: amqp("talentctl bench ceiling fill"))
        let queue = try await scratchQueue(on: filler)
        try await fill(queue, count: count, window: 200, on: filler)
        await filler.close()
        return queue
    }

    func fill(_ queue: String, count: Int, window: Int, on connection: AMQPConnection) async throws {
        try await inWindow(count, window: window) { [body] index in
            try await connection.publish(
                AMQPMessage(exchange: "", routingKey: queue, body: body, messageId: "ceiling-\(index)"),
                timeout: .seconds(30))
        }
    }

    func resetTable(_ pool: PostgresPool) async throws {
        try await pool.withConnection { connection in
            try connection.query("CREATE TABLE IF NOT EXISTS bench_ceiling (id uuid PRIMARY KEY, body jsonb NOT NULL)")
            try connection.query("TRUNCATE bench_ceiling")
        }
    }

    static func insertRow(_ id: UUID, _ body: String, on connection: PostgresConnection) throws {
        try connection.execute(
            prepared: "bench_ceiling_insert",
            "INSERT INTO bench_ceiling (id, body) VALUES ($1, $2::jsonb) ON CONFLICT DO NOTHING", [id, body])
    }
}
