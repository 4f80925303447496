import AMQPClient
import Foundation
import TalentCore
import TalentStore

/// Publishes job messages with publisher confirms and records the confirm on the job row.
public struct JobPublisher: Sendable {
    let connection: AMQPConnection
    let jobs: JobStore
    let confirmTimeout: Duration

    public init(connection: AMQPConnection, jobs: JobStore, confirmTimeout: Duration) {
        self.connection = connection
        self.jobs = jobs
        self.confirmTimeout = confirmTimeout
    }

    /// Publishes `job` (persistent, mandatory) and returns once the broker confirmed it.
    /// - Throws: ``AMQPError`` (`.blocked`, `.unroutable`, `.nacked`, `.timedOut`, …).
    public func publish(_ job: AttachmentValidationJob) async throws {
        let message = AMQPMessage(
            exchange: JobTopologyNames.jobsExchange, routingKey: JobKind.attachmentValidation.routingKey,
            body: JobMessageCodec.encode(job), messageId: job.jobId.uuidString.lowercased(),
            type: JobKind.attachmentValidation.rawValue,
            headers: ["x-schema-version": .int(Int64(job.schemaVersion)), "x-unit-id": .string(job.unitId.rawValue)])
        try await connection.publish(message, timeout: confirmTimeout)
        // Best effort: if this write is lost, the relay republishes later and the worker's
        // idempotency record absorbs the duplicate.
        try? await jobs.markPublished(id: job.jobId)
    }
}
