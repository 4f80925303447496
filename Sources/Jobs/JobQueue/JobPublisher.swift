import AMQPClient
import Foundation
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
            headers: [
                JobHeaders.schemaVersion: .int(Int64(job.schemaVersion)),
                JobHeaders.unitId: .string(job.unitId.rawValue),
            ])
        try await connection.publish(message, timeout: confirmTimeout)
        marks.record(job.jobId)
    }

    /// Writes the confirms recorded so far (before a short-lived process exits).
    public func flushMarks() async {
        await marks.flush()
    }
}
