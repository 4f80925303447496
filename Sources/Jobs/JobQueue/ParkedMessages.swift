import AMQPClient
import Foundation
import TalentCore

/// Operator actions on a job kind's parking (dead-letter) queue: list, replay, discard.
///
/// Messages are read by consuming the parking queue (no other consumer should read it meanwhile);
/// those not acted on are returned to it at the end (`basic.reject` with requeue), so listing never
/// removes anything. A replayed message is published
/// to the work queue again with its retry and reason headers removed, after its job row is reopened
/// (`dead_lettered` → `queued`), and only then removed from the parking queue.
public struct ParkedMessages: Sendable {
    /// One parked message as an operator sees it.
    public struct Entry: Sendable {
        public var messageId: String
        /// `x-talent-reason`, or the broker's `x-first-death-reason` (e.g. `delivery_limit`).
        public var reason: String
        public var lastError: String
        public var parkedAt: String
        public var attempts: Int
        public var bodyBytes: Int
    }

    /// What to do with the messages read.
    public enum Action: Sendable {
        case list
        /// Replay the named message ids, or every message when `nil`.
        case replay(Set<String>?)
        /// Remove the named message ids for good.
        case discard(Set<String>)
    }

    let consumer: AMQPConnection
    let publisher: AMQPConnection
    let jobs: JobStore
    let queues: JobQueueTopology
    /// Who acts, for the audit rows (`operator_actions`).
    let actor: String

    /// - Parameters: `consumer` reads the parking queue; `publisher` (another connection) republishes;
    ///   `actor` names the operator in the audit rows.
    public init(
        consumer: AMQPConnection, publisher: AMQPConnection, jobs: JobStore, queues: JobQueueTopology, actor: String
    ) {
        self.consumer = consumer
        self.publisher = publisher
        self.jobs = jobs
        self.queues = queues
        self.actor = actor
    }

    /// Reads up to `limit` parked messages and applies `action` (with `dryRun`, only says which
    /// messages it would act on: nothing is published, removed or recorded). Each change is recorded
    /// in `operator_actions` before the message leaves the parking queue.
    /// - Returns: the entries read, and the message ids acted on (or that would be, with `dryRun`).
    /// - Throws: ``AMQPError`` or a database error; messages not yet settled return to the queue.
    public func run(
        _ action: Action, dryRun: Bool = false, limit: Int = 1_000, readTimeout: Duration = .seconds(10)
    ) async throws -> (
        entries: [Entry], actedOn: [String]
    ) {
        let available = try await consumer.queueState(queues.parkingQueue).messages
        let wanted = min(available, limit)
        guard wanted > 0 else { return ([], []) }
        let stopper = Task {
            try? await Task.sleep(for: readTimeout)
            consumer.stopConsuming()
        }
        defer { stopper.cancel() }
        var entries: [Entry] = []
        var actedOn: [String] = []
        // Held unsettled until the end: a message returned earlier would be delivered to us again.
        var held: [AMQPDelivery] = []
        do {
            for try await delivery in consumer.consume(
                queue: queues.parkingQueue, prefetch: UInt16(min(wanted, 1_000)))
            {
                let entry = Self.entry(delivery)
                entries.append(entry)
                held.append(delivery)  // returned to the queue if acting on it fails
                if dryRun ? Self.applies(action, to: entry) : try await apply(action, to: delivery, entry: entry) {
                    if !dryRun { held.removeLast() }
                    actedOn.append(entry.messageId)
                }
                if entries.count >= wanted { break }
            }
        } catch {
            consumer.stopConsuming()
            for delivery in held { consumer.reject(delivery, requeue: true) }
            throw error
        }
        consumer.stopConsuming()
        for delivery in held { consumer.reject(delivery, requeue: true) }
        return (entries, actedOn)
    }

    /// Whether `action` changes the message of `entry`.
    static func applies(_ action: Action, to entry: Entry) -> Bool {
        switch action {
        case .list: false
        case .discard(let ids): ids.contains(entry.messageId)
        case .replay(let ids): ids.map { $0.contains(entry.messageId) } ?? true
        }
    }

    /// Settles `delivery` when the action applies to it (after its audit row); returns whether it did.
    private func apply(_ action: Action, to delivery: AMQPDelivery, entry: Entry) async throws -> Bool {
        guard Self.applies(action, to: entry) else { return false }
        switch action {
        case .list:
            return false
        case .discard:
            try await jobs.recordOperatorAction(
                actor: actor, action: "discard", kind: queues.routingKey, messageId: entry.messageId,
                reason: entry.reason)
            consumer.ack(delivery)
            return true
        case .replay:
            try await jobs.recordOperatorAction(
                actor: actor, action: "replay", kind: queues.routingKey, messageId: entry.messageId,
                reason: entry.reason)
            if let jobId = UUID(uuidString: entry.messageId) { try await jobs.reopen(id: jobId) }
            let headers = delivery.headers.filter { key, _ in
                ![
                    JobHeaders.attempt, JobHeaders.reason, JobHeaders.lastError, JobHeaders.parkedAt,
                    JobHeaders.deliveryCount,
                ].contains(key) && !key.hasPrefix("x-death") && !key.hasPrefix("x-first-death")
            }
            try await publisher.publish(
                AMQPMessage(
                    exchange: queues.jobsExchange, routingKey: queues.routingKey, body: delivery.body,
                    messageId: entry.messageId, type: delivery.type, headers: headers))
            consumer.ack(delivery)
            return true
        }
    }

    static func entry(_ delivery: AMQPDelivery) -> Entry {
        let headers = delivery.headers
        return Entry(
            messageId: delivery.messageId ?? "",
            reason: headers[JobHeaders.reason]?.stringValue ?? headers["x-first-death-reason"]?.stringValue
                ?? "unknown",
            lastError: headers[JobHeaders.lastError]?.stringValue ?? "",
            parkedAt: headers[JobHeaders.parkedAt]?.stringValue ?? "",
            attempts: Int(headers[JobHeaders.attempt]?.intValue ?? 0), bodyBytes: delivery.body.count)
    }
}
