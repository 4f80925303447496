import AMQPClient
import Logging
import TalentCore

/// The broker topology of the whole system, from one definition: a ``JobQueueTopology`` per job kind
/// on the shared exchanges `talent.jobs`, `talent.retry` and `talent.dead`.
public enum TalentTopology {
    /// Deliveries of one message before the broker parks it (a worker killed by the message itself,
    /// again and again). Quorum queues count every return to the queue.
    public static let deliveryLimit: Int64 = 10

    /// Delays of the retry tiers, in milliseconds: 1 s, 10 s, 1 min, 5 min (≈ 6 min 11 s in all
    /// before a job that keeps failing is parked with reason `retries_exhausted`).
    public static let retryDelaysMilliseconds: [Int64] = [1_000, 10_000, 60_000, 300_000]

    /// The queues of one job kind.
    public static func queues(for kind: JobKind) -> JobQueueTopology {
        JobQueueTopology(
            routingKey: kind.routingKey, jobsExchange: JobTopologyNames.jobsExchange,
            workQueue: JobTopologyNames.workQueue(kind), retryExchange: JobTopologyNames.retryExchange,
            retryTiers: retryDelaysMilliseconds.enumerated().map { index, delay in
                JobQueueTopology.RetryTier(
                    queue: JobTopologyNames.retryQueue(kind, tier: index + 1), delayMilliseconds: delay)
            },
            deadLetterExchange: JobTopologyNames.deadLetterExchange,
            parkingQueue: JobTopologyNames.deadLetterQueue(kind), deliveryLimit: deliveryLimit)
    }

    /// Declares ``definition`` when a process starts (waiting up to a minute for the broker).
    /// - Returns: `false` when the broker has a queue or exchange with other arguments (406), after
    ///   logging the broker's explanation; the process should exit 78 rather than fail later.
    /// - Throws: other ``AMQPError``s.
    public static func declareAtStartUp(on connection: AMQPConnection, logger: Logger) async throws -> Bool {
        do {
            try await connection.declare(definition, timeout: .seconds(60))
            return true
        } catch let error as AMQPError where error.replyCode == 406 {
            logger.critical(
                "the broker's topology differs from this version's definition; the broker names the queue and argument",
                metadata: ["error": "\(String(reflecting: error))"])
            return false
        }
    }

    /// Every kind's exchanges, queues and bindings (exchanges once).
    public static var definition: AMQPTopology {
        var merged = AMQPTopology(exchanges: [], queues: [], bindings: [])
        for kind in JobKind.allCases {
            let part = queues(for: kind).definition
            for exchange in part.exchanges where !merged.exchanges.contains(exchange) {
                merged.exchanges.append(exchange)
            }
            merged.queues += part.queues
            merged.bindings += part.bindings
        }
        return merged
    }
}
