import AMQPClient
import Foundation
import JobQueue
import JobWorker
import Logging
import PostgresClient
import Synchronization
import TalentCore
import TalentStore
import TalentTestSupport
import Testing

/// The runtime's settlement rules against the real broker: retry tiers with attempt headers, parking
/// with reasons, batches that fall back to one by one, the per-job time limit. Each test declares its
/// own queues with short retry delays.
@Suite("Job consumer")
struct JobConsumerTests {
    /// A test job: `ok:N` succeeds, `fail:N` always throws, `flaky:N` throws on its first 4 calls,
    /// `slow:N` sleeps past the time limit once. Each has a real job row, so the runtime's locks and
    /// records are the production ones.
    struct TestJob: UnitJobMessage {
        static let currentSchemaVersion = 1
        static let kind = JobKind.attachmentValidation
        var schemaVersion = 1
        var jobId = UUID()
        var unitId = JobConsumerTests.unit
        var requestedAt = Date()
        var behaviour: String
    }

    static let unit = Fixtures.unit(77, salt: "C")

    struct TestHandler: JobHandler {
        let log: EffectLog

        var maximumBatchSize: Int { 8 }

        /// Failures happen before the transaction, so a failing job fails its whole batch.
        func prepare(_ job: Job<TestJob>) async throws {
            try await log.attempt(job.message.behaviour)
        }

        func apply(_ job: Job<TestJob>, prepared: Void, in transaction: PostgresConnection) throws -> JobOutcome {
            log.effects.withLock { $0[job.message.behaviour, default: 0] += 1 }
            return .succeeded()
        }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }

    final class EffectLog: Sendable {
        let effects = Mutex<[String: Int]>([:])
        let calls = Mutex<[String: Int]>([:])

        func attempt(_ behaviour: String) async throws {
            let call = calls.withLock { calls in
                calls[behaviour, default: 0] += 1
                return calls[behaviour]!
            }
            if behaviour.hasPrefix("fail:") { throw TestFailure(text: "always fails") }
            if behaviour.hasPrefix("flaky:") && call <= 4 { throw TestFailure(text: "flaky failure \(call)") }
            if behaviour.hasPrefix("slow:") && call == 1 { try await Task.sleep(for: .seconds(5)) }
        }

        func effectCount(_ behaviour: String) -> Int { effects.withLock { $0[behaviour] ?? 0 } }
        var distinctEffects: Int { effects.withLock { $0.count } }
        var duplicateEffects: Int { effects.withLock { $0.values.filter { $0 > 1 }.count } }
    }

    /// A fresh kind-like set of queues with 100 ms and 200 ms retry tiers.
    static func queues() -> JobQueueTopology {
        let id = UUID().uuidString.prefix(8).lowercased()
        return JobQueueTopology(
            routingKey: "test.\(id)", jobsExchange: "test.jobs", workQueue: "test.\(id)",
            retryExchange: "test.retry",
            retryTiers: [
                .init(queue: "test.\(id).retry.1", delayMilliseconds: 100),
                .init(queue: "test.\(id).retry.2", delayMilliseconds: 200),
            ],
            deadLetterExchange: "test.dead", parkingQueue: "test.\(id).dead", deliveryLimit: 10)
    }

    struct Running {
        let queues: JobQueueTopology
        let log: EffectLog
        let consumer: JobConsumer<TestHandler>
        let connections: [AMQPConnection]
        let task: Task<Void, any Error>
        let publisher: AMQPConnection
        let pool: PostgresPool

        @discardableResult
        func publish(_ bodies: [String]) async throws -> [UUID] {
            try await JobConsumerTests.publish(bodies, to: queues, on: publisher, pool: pool)
        }

        /// Whether the parking queue holds `count` messages within `timeout`.
        func parked(_ count: Int, within timeout: Duration) async throws -> Bool {
            let state = AMQPConnection(configuration: try TestEnvironment.current().amqpConfiguration(name: "state"))
            defer { Task { await state.close() } }
            return try await eventually(timeout: timeout) {
                try await state.queueState(queues.parkingQueue).messages == count
            }
        }

        func stop() async throws {
            consumer.drain()
            try await task.value
            for connection in connections { await connection.close() }
            // The pool stays open: tests read the job rows after stopping.
        }
    }

    /// Declares the queues, publishes `before` (so they are waiting when consuming starts), starts a
    /// consumer with concurrency 2.
    static func start(
        publishingFirst before: [String] = [], heartbeatSeconds: Int = 30, jobTimeLimitSeconds: Int = 2
    ) async throws -> Running {
        let environment = try await SharedSystem.instance.get().environment  // migrated database
        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 3))
        let queues = Self.queues()
        var consumingConfiguration = environment.amqpConfiguration(name: "consumer test")
        consumingConfiguration.heartbeatSeconds = heartbeatSeconds
        let consuming = AMQPConnection(configuration: consumingConfiguration)
        let publisher = AMQPConnection(configuration: environment.amqpConfiguration(name: "consumer test publisher"))
        let loader = AMQPConnection(configuration: environment.amqpConfiguration(name: "consumer test loader"))
        try await consuming.declare(queues.definition)
        let log = EffectLog()
        try await pool.transaction { connection in try UnitStore.register(Self.unit, name: nil, on: connection) }
        let configuration = WorkerConfiguration(
            prefetch: 16, concurrency: 2, batchSize: 8, retryAttempts: 2, retryInitialDelayMilliseconds: 10,
            retryMaxDelayMilliseconds: 50, jobTimeLimitSeconds: jobTimeLimitSeconds)
        let consumer = JobConsumer(
            connection: consuming, publisher: publisher, pool: pool, queues: queues, handler: TestHandler(log: log),
            configuration: configuration, logger: Logger(label: "consumer-test"))
        try await publish(before, to: queues, on: loader, pool: pool)
        return Running(
            queues: queues, log: log, consumer: consumer, connections: [consuming, publisher, loader],
            task: Task { try await consumer.run() }, publisher: loader, pool: pool)
    }

    /// Stores a job row per behaviour (anything not a behaviour is sent as an undecodable body) and
    /// publishes them. - Returns: the job ids.
    @discardableResult
    static func publish(
        _ bodies: [String], to queues: JobQueueTopology, on connection: AMQPConnection, pool: PostgresPool
    ) async throws -> [UUID] {
        var ids: [UUID] = []
        for body in bodies {
            var bytes = Array(body.utf8)
            var id = UUID()
            if ["ok:", "fail:", "flaky:", "slow:"].contains(where: body.hasPrefix) {
                let envelope = try JobEnvelope(TestJob(behaviour: body))
                _ = try await pool.transaction { transaction in
                    try JobStore.insert(envelope, subjectId: nil, on: transaction)
                }
                bytes = envelope.body
                id = envelope.jobId
                ids.append(id)
            }
            try await connection.publish(
                AMQPMessage(
                    exchange: queues.jobsExchange, routingKey: queues.routingKey, body: bytes,
                    messageId: id.uuidString.lowercased()))
        }
        return ids
    }

    /// Takes one message from `queue` and returns its headers.
    static func firstMessageHeaders(_ queue: String) async throws -> [String: AMQPFieldValue]? {
        let environment = try TestEnvironment.current()
        let connection = AMQPConnection(configuration: environment.amqpConfiguration(name: "parking reader"))
        defer { Task { await connection.close() } }
        for try await delivery in connection.consume(queue: queue, prefetch: 1) {
            connection.ack(delivery)
            return delivery.headers
        }
        return nil
    }

    @Test func successIsAppliedOnceAndAcked() async throws {
        let running = try await Self.start()
        let bodies = (0..<40).map { "ok:\($0)" }
        try await running.publish(bodies)
        #expect(try await eventually(timeout: .seconds(60)) { running.log.distinctEffects == 40 })
        try await running.stop()
        #expect(running.log.duplicateEffects == 0)
        #expect(running.consumer.statistics.acked.load(ordering: .relaxed) == 40)
    }

    @Test func failingJobGoesThroughEveryRetryTierThenIsParkedWithItsReason() async throws {
        let running = try await Self.start()
        let ids = try await running.publish(["fail:1"])
        #expect(try await running.parked(1, within: .seconds(60)))
        try await running.stop()
        // In-process attempts (2) in each of 3 rounds: first delivery and both retry tiers.
        #expect(running.log.calls.withLock { $0["fail:1"] } == 6)
        #expect(running.consumer.statistics.retried.load(ordering: .relaxed) == 2)
        let failed = try await JobStore(pool: running.pool).job(id: ids[0], unitId: Self.unit)
        #expect(failed?.status == .deadLettered)
        #expect(failed?.errorCode == "retries_exhausted")
        #expect(failed != nil, "the job row was not closed as dead-lettered")
        let headers = try #require(try await Self.firstMessageHeaders(running.queues.parkingQueue))
        #expect(headers[JobHeaders.reason]?.stringValue == "retries_exhausted")
        #expect(headers[JobHeaders.attempt]?.intValue == 2)
        #expect(headers[JobHeaders.lastError]?.stringValue?.contains("always fails") == true)
        #expect(headers[JobHeaders.parkedAt]?.stringValue != nil)
    }

    @Test func flakyJobSucceedsFromARetryTierExactlyOnce() async throws {
        let running = try await Self.start()
        try await running.publish(["flaky:1"])
        #expect(try await eventually(timeout: .seconds(60)) { running.log.effectCount("flaky:1") == 1 })
        try await running.stop()
        #expect(running.log.effectCount("flaky:1") == 1)
        #expect(running.consumer.statistics.retried.load(ordering: .relaxed) == 2)
    }

    /// An attempt header out of range (negative, huge) never crashes the worker: it is clamped.
    @Test func aForgedAttemptHeaderIsClamped() async throws {
        let running = try await Self.start()
        for attempt: Int64 in [-5, .max] {
            try await running.publisher.publish(
                AMQPMessage(
                    exchange: running.queues.jobsExchange, routingKey: running.queues.routingKey,
                    body: try JobMessageCodec.encode(TestJob(behaviour: "fail:\(attempt)")),
                    messageId: UUID().uuidString.lowercased(), headers: [JobHeaders.attempt: .int(attempt)]))
        }
        #expect(try await running.parked(2, within: .seconds(60)))
        try await running.stop()
    }

    @Test func undecodableMessageIsParkedAsMalformed() async throws {
        let running = try await Self.start()
        try await running.publish(["garbage", "ok:1"])
        #expect(try await eventually(timeout: .seconds(60)) { running.log.effectCount("ok:1") == 1 })
        #expect(try await running.parked(1, within: .seconds(30)))
        try await running.stop()
        let headers = try #require(try await Self.firstMessageHeaders(running.queues.parkingQueue))
        #expect(headers[JobHeaders.reason]?.stringValue == "malformed")
    }

    @Test func aFailingJobDoesNotFailItsBatchNeighbours() async throws {
        var bodies = (0..<30).map { "ok:\($0)" }
        bodies.insert("fail:x", at: 7)
        bodies.insert("fail:y", at: 20)
        let running = try await Self.start(publishingFirst: bodies)
        #expect(try await eventually(timeout: .seconds(60)) { running.log.distinctEffects == 30 })
        #expect(try await running.parked(2, within: .seconds(60)))
        try await running.stop()
        #expect(running.log.duplicateEffects == 0)
        #expect(running.consumer.statistics.batches.load(ordering: .relaxed) >= 1)
        #expect(running.consumer.statistics.batchFallbacks.load(ordering: .relaxed) >= 1)
    }

    /// A job that runs for several heartbeat intervals (1 s here) keeps its connection: the I/O thread
    /// services heartbeats while the job runs elsewhere, so the delivery is acked on its own channel,
    /// never redelivered.
    @Test func heartbeatsAreKeptDuringALongJob() async throws {
        let running = try await Self.start(heartbeatSeconds: 1, jobTimeLimitSeconds: 30)
        try await running.publish(["slow:heartbeat"])
        #expect(try await eventually(timeout: .seconds(60)) { running.log.effectCount("slow:heartbeat") == 1 })
        try await running.stop()
        #expect(running.log.calls.withLock { $0["slow:heartbeat"] } == 1, "the job ran again: the delivery came back")
        #expect(running.consumer.statistics.acked.load(ordering: .relaxed) == 1)
        #expect(running.consumer.statistics.retried.load(ordering: .relaxed) == 0)
    }

    @Test func aJobPastItsTimeLimitIsRetried() async throws {
        let running = try await Self.start()
        try await running.publish(["slow:1"])
        #expect(try await eventually(timeout: .seconds(60)) { running.log.effectCount("slow:1") >= 1 })
        try await running.stop()
        #expect(running.consumer.statistics.retried.load(ordering: .relaxed) >= 1)
    }
}

/// Operator actions on the parking queue: list leaves messages in place, discard removes the named
/// one, replay sends the rest back to the work queue without their reason headers.
@Suite("Parked messages")
struct ParkedMessagesTests {
    @Test func listDiscardAndReplay() async throws {
        let environment = try await SharedSystem.instance.get().environment  // migrated database
        let running = try await JobConsumerTests.start(publishingFirst: ["fail:1", "garbage"])
        let state = AMQPConnection(configuration: environment.amqpConfiguration(name: "parked state"))
        let parking = running.queues.parkingQueue
        #expect(try await eventually(timeout: .seconds(60)) { try await state.queueState(parking).messages == 2 })
        try await running.stop()

        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 1))
        defer { pool.shutdown() }
        let reader = AMQPConnection(configuration: environment.amqpConfiguration(name: "parked reader"))
        let publisher = AMQPConnection(configuration: environment.amqpConfiguration(name: "parked publisher"))
        let parked = ParkedMessages(
            consumer: reader, publisher: publisher, jobs: JobStore(pool: pool), queues: running.queues,
            actor: "test")

        let listed = try await parked.run(.list)
        #expect(Set(listed.entries.map(\.reason)) == ["retries_exhausted", "malformed"])
        #expect(listed.actedOn.isEmpty)
        #expect(try await eventually(timeout: .seconds(10)) { try await state.queueState(parking).messages == 2 })

        let garbage = try #require(listed.entries.first { $0.reason == "malformed" })
        let wouldDiscard = try await parked.run(.discard([garbage.messageId]), dryRun: true)
        #expect(wouldDiscard.actedOn == [garbage.messageId])
        #expect(try await eventually(timeout: .seconds(10)) { try await state.queueState(parking).messages == 2 })
        let discarded = try await parked.run(.discard([garbage.messageId]))
        #expect(discarded.actedOn == [garbage.messageId])
        #expect(try await eventually(timeout: .seconds(10)) { try await state.queueState(parking).messages == 1 })

        let replayed = try await parked.run(.replay(nil))
        #expect(replayed.actedOn.count == 1)
        #expect(try await eventually(timeout: .seconds(10)) { try await state.queueState(parking).messages == 0 })
        let work = running.queues.workQueue
        #expect(try await eventually(timeout: .seconds(10)) { try await state.queueState(work).messages == 1 })
        let headers = try #require(try await JobConsumerTests.firstMessageHeaders(work))
        #expect(headers[JobHeaders.reason] == nil)
        #expect(headers[JobHeaders.attempt] == nil)
        // Each change has its audit row (the dry run none).
        let audit = try await pool.withConnection { connection in
            try connection.query(
                "SELECT action FROM operator_actions WHERE actor = 'test' AND kind = $1 ORDER BY id",
                [running.queues.routingKey]
            ).rows.map { try $0.requiredString("action") }
        }
        #expect(audit == ["discard", "replay"])
        await reader.close()
        await publisher.close()
        await state.close()
    }
}
