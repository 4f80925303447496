import AMQPClient
import Foundation
import Metrics
import TalentCore

/// Publishes job messages with publisher confirms and records the confirm on the job row (batched,
/// off the caller's path: ``PublicationMarks``).
public struct JobPublisher: Sendable {
    let connection: AMQPConnection
    let jobs: JobStore
    let marks: PublicationMarks
    let confirmTimeout: Duration

    public init(connection: AMQPConnection, jobs: JobStore, confirmTimeout: Duration) {
        self.connection = connection
        self.jobs = jobs
        self.marks = PublicationMarks(jobs: jobs)
        self.confirmTimeout = confirmTimeout
    }

    /// The broker's state of a queue (passive declare), for the relay.
    func queueState(_ queue: String) async throws -> (messages: Int, consumers: Int) {
        try await connection.queueState(queue)
    }

    /// Publishes `job` (persistent, mandatory) to `talent.jobs` with its kind as routing key, and
    /// returns once the broker confirmed it.
    /// - Throws: ``AMQPError`` (`.blocked`, `.unroutable`, `.nacked`, `.timedOut`, …).
    public func publish(_ job: JobEnvelope) async throws {
        let message = AMQPMessage(
            exchange: JobTopologyNames.jobsExchange, routingKey: job.kind.routingKey, body: job.body,
            messageId: job.messageId, type: job.kind.rawValue,
            headers: [JobHeaders.schemaVersion: .int(Int64(job.schemaVersion))].merging(
                job.unitId.map { [JobHeaders.unitId: .string($0.rawValue)] } ?? [:], uniquingKeysWith: { $1 }))
        let started = ContinuousClock.now
        do {
            try await connection.publish(message, timeout: confirmTimeout)
        } catch {
            let code = (error as? AMQPError)?.code.rawValue ?? "other"
            Counter(label: "talent_publish_failures_total", dimensions: [("kind", job.kind.rawValue), ("code", code)])
                .increment()
            throw error
        }
        if let metrics = Self.metrics[job.kind] {
            metrics.confirm.record(duration: started.duration(to: .now))
            metrics.published.increment()
        }
        marks.record(job.jobId)
    }

    /// The metrics publishing records (names and help for the Prometheus exposition); label `kind` is
    /// the job kind, `code` an ``AMQPError/Code``.
    public static let metricHelp: [String: String] = [
        "talent_jobs_published_total": "Job messages published and confirmed by the broker.",
        "talent_publish_confirm_seconds": "Time from publishing a job message to the broker's confirm.",
        "talent_publish_failures_total":
            "Job publishes that failed (nacked, unroutable, blocked, timed out, no connection).",
    ]

    /// Each kind's publish handlers, made once (a handler made per publish is a registry lookup under
    /// its lock on every request). Made on first use: after the metrics system is bootstrapped, when
    /// ``registerMetrics()`` runs first.
    static let metrics: [JobKind: (published: Counter, confirm: Timer)] = Dictionary(
        uniqueKeysWithValues: JobKind.allCases.map { kind in
            let dimensions = [("kind", kind.rawValue)]
            return (
                kind,
                (
                    Counter(label: "talent_jobs_published_total", dimensions: dimensions),
                    Timer(label: "talent_publish_confirm_seconds", dimensions: dimensions)
                )
            )
        })

    /// Creates the per-kind series of publishing and of the relay at zero, so that the first jobs after
    /// a start show as an increase (a series that appears with its first value has no rate until
    /// its second). Call once at start, after the metrics system is bootstrapped.
    public static func registerMetrics() {
        // Creating a handler registers its series (at zero); nothing is recorded.
        _ = metrics
        for kind in JobKind.allCases {
            for reason in ["unconfirmed", "missing"] {
                _ = Counter(
                    label: "talent_relay_republished_total", dimensions: [("kind", kind.rawValue), ("reason", reason)])
            }
        }
    }

    /// Writes the confirms recorded so far (before a short-lived process exits).
    public func flushMarks() async {
        await marks.flush()
    }
}
