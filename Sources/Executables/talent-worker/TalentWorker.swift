import AMQPClient
import ArgumentParser
import AttachmentInspection
import Foundation
import JobQueue
import JobWorker
import Logging
import PostgresClient
import ServiceConfiguration
import TalentCore
import TalentJobs
import TalentStore

/// `talent-worker <kind>`: consumes one job kind's queue. Stateless; run more processes to scale.
@main
struct TalentWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "talent-worker", abstract: "Consume one job kind's queue and apply its effects.")

    @Argument(help: "Job kind: \(JobKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: String

    @Option(help: "Unacknowledged deliveries this process may hold (env TALENT_WORKER_PREFETCH).")
    var prefetch: UInt16?

    @Option(help: "Jobs handled at once (env TALENT_WORKER_CONCURRENCY).")
    var concurrency: Int?

    @Option(help: "Most jobs applied in one transaction, for kinds that batch (env TALENT_WORKER_BATCH_SIZE).")
    var batchSize: Int?

    @Option(help: "Seconds one job or batch may run, its attempts included (env TALENT_WORKER_JOB_TIME_LIMIT).")
    var jobTimeLimit: Int?

    @Option(help: "Seconds given to in-flight jobs after SIGTERM.")
    var drainGrace: Int = 30

    mutating func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel =
                ProcessInfo.processInfo.environment["TALENT_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
            return handler
        }
        let logger = Logger(label: "talent-worker")
        guard let jobKind = JobKind(rawValue: kind) else {
            throw ValidationError("unknown job kind \(kind)")
        }
        let environment = ServiceEnvironment()
        let env = ProcessInfo.processInfo.environment
        var workerConfiguration = WorkerConfiguration(drainGraceSeconds: drainGrace)
        if let value = prefetch ?? env["TALENT_WORKER_PREFETCH"].flatMap(UInt16.init) {
            workerConfiguration.prefetch = value
        }
        if let value = concurrency ?? env["TALENT_WORKER_CONCURRENCY"].flatMap(Int.init) {
            workerConfiguration.concurrency = value
        }
        if let value = batchSize ?? env["TALENT_WORKER_BATCH_SIZE"].flatMap(Int.init) {
            workerConfiguration.batchSize = value
        }
        if let value = jobTimeLimit ?? env["TALENT_WORKER_JOB_TIME_LIMIT"].flatMap(Int.init) {
            workerConfiguration.jobTimeLimitSeconds = value
        }
        do {
            try workerConfiguration.validate()
        } catch {
            logger.critical("refusing to start: \(error.description)")
            throw ExitCode(78)
        }

        let pool = PostgresPool(
            configuration: environment.postgres(poolSize: workerConfiguration.concurrency + 1),
            logger: Logger(label: "postgres"))
        let connection = AMQPConnection(
            configuration: environment.amqp(connectionName: "talent-worker \(jobKind.rawValue) pid \(getpid())"),
            logger: Logger(label: "amqp"))
        let publisher = AMQPConnection(
            configuration: environment.amqp(
                connectionName: "talent-worker \(jobKind.rawValue) pid \(getpid()) publisher"),
            logger: Logger(label: "amqp"))
        guard try await TalentTopology.declareAtStartUp(on: connection, logger: logger) else { throw ExitCode(78) }

        switch jobKind {
        case .attachmentValidation:
            try await Self.consume(
                AttachmentValidationHandler(
                    attachments: AttachmentStore(pool: pool), inspector: ContainedInspector(),
                    policy: environment.attachmentPolicy, logger: logger),
                kind: jobKind, connection: connection, publisher: publisher, pool: pool,
                configuration: workerConfiguration, logger: logger)
        case .associationDecision:
            try await Self.consume(
                AssociationDecisionHandler(),
                kind: jobKind, connection: connection, publisher: publisher, pool: pool,
                configuration: workerConfiguration, logger: logger)
        }
    }

    /// Consumes `kind`'s queue with `handler` until drained (SIGTERM / SIGINT: exit 0) or until a
    /// service fails, for example the consumer lost for good (exit 1, with a log line naming it).
    static func consume<Handler: JobHandler>(
        _ handler: Handler, kind jobKind: JobKind, connection: AMQPConnection, publisher: AMQPConnection,
        pool: PostgresPool, configuration workerConfiguration: WorkerConfiguration, logger: Logger
    ) async throws {
        let consumer = JobConsumer(
            connection: connection, publisher: publisher, pool: pool, queues: TalentTopology.queues(for: jobKind),
            handler: handler, configuration: workerConfiguration, logger: logger)
        logger.info(
            "consuming",
            metadata: [
                "queue": "\(JobTopologyNames.workQueue(jobKind))", "prefetch": "\(workerConfiguration.prefetch)",
                "concurrency": "\(workerConfiguration.concurrency)", "batchSize": "\(workerConfiguration.batchSize)",
                "jobTimeLimitSeconds": "\(workerConfiguration.jobTimeLimitSeconds)",
            ])
        // Started in this order, shut down in reverse: the consumer drains (settles what it holds),
        // then the connections close, then the pool. Past the grace period, jobs are cancelled and
        // their unacknowledged deliveries return to the queue.
        let drained = await ProcessServices.run(
            [
                (pool, "postgres pool"), (publisher, "amqp publisher connection"),
                (connection, "amqp consumer connection"), (consumer, "consumer \(jobKind.rawValue)"),
            ], graceSeconds: workerConfiguration.drainGraceSeconds, logger: logger)
        guard drained else { throw ExitCode(1) }
        let stats = consumer.statistics
        logger.info(
            "drained",
            metadata: [
                "acked": "\(stats.acked.load(ordering: .relaxed))",
                "retried": "\(stats.retried.load(ordering: .relaxed))",
                "deadLettered": "\(stats.deadLettered.load(ordering: .relaxed))",
                "batches": "\(stats.batches.load(ordering: .relaxed))",
            ])
    }
}
