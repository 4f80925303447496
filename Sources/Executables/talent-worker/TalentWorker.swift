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

    /// Consumes `kind`'s queue with `handler` until drained (SIGTERM) or the consumer is lost (exit 1).
    static func consume<Handler: JobHandler>(
        _ handler: Handler, kind jobKind: JobKind, connection: AMQPConnection, publisher: AMQPConnection,
        pool: PostgresPool, configuration workerConfiguration: WorkerConfiguration, logger: Logger
    ) async throws {
        let consumer = JobConsumer(
            connection: connection, publisher: publisher, pool: pool, queues: TalentTopology.queues(for: jobKind),
            handler: handler, configuration: workerConfiguration, logger: logger)

        let signals = SignalDrain()
        signals.install(graceSeconds: workerConfiguration.drainGraceSeconds, logger: logger) { consumer.drain() }
        defer { withExtendedLifetime(signals) {} }
        logger.info(
            "consuming",
            metadata: [
                "queue": "\(JobTopologyNames.workQueue(jobKind))", "prefetch": "\(workerConfiguration.prefetch)",
                "concurrency": "\(workerConfiguration.concurrency)", "batchSize": "\(workerConfiguration.batchSize)",
                "jobTimeLimitSeconds": "\(workerConfiguration.jobTimeLimitSeconds)",
            ])
        do {
            try await consumer.run()
        } catch {
            logger.critical("consumer lost", metadata: ["error": "\(String(reflecting: error))"])
            await connection.close()
            await publisher.close()
            pool.shutdown()
            throw ExitCode(1)
        }
        await connection.close()
        await publisher.close()
        pool.shutdown()
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
