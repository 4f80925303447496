import AMQPClient
import ArgumentParser
import AttachmentInspection
import Foundation
import JobRuntime
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
        let workerConfiguration = WorkerConfiguration(
            prefetch: prefetch ?? env["TALENT_WORKER_PREFETCH"].flatMap(UInt16.init) ?? 8,
            concurrency: concurrency ?? env["TALENT_WORKER_CONCURRENCY"].flatMap(Int.init) ?? 2,
            drainGraceSeconds: drainGrace)
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
        do {
            try await connection.declare(TalentTopology.definition, timeout: .seconds(60))
        } catch let error as AMQPError where error.replyCode == 406 {
            logger.critical(
                "broker topology differs from this version's definition; fix it with talentctl topology",
                metadata: ["error": "\(error)"])
            throw ExitCode(78)
        }

        let handler = AttachmentValidationHandler(
            attachments: AttachmentStore(pool: pool), jobs: JobStore(pool: pool),
            inspector: ContainedInspector(), policy: environment.attachmentPolicy, logger: logger)
        let consumer = JobConsumer(
            connection: connection, queue: JobTopologyNames.workQueue(jobKind), handler: handler,
            configuration: workerConfiguration, logger: logger)

        let signals = SignalDrain()
        signals.install(graceSeconds: workerConfiguration.drainGraceSeconds, logger: logger) { consumer.drain() }
        defer { withExtendedLifetime(signals) {} }
        logger.info(
            "consuming",
            metadata: [
                "queue": "\(JobTopologyNames.workQueue(jobKind))", "prefetch": "\(workerConfiguration.prefetch)",
                "concurrency": "\(workerConfiguration.concurrency)",
            ])
        do {
            try await consumer.run()
        } catch {
            logger.critical("consumer lost", metadata: ["error": "\(error)"])
            await connection.close()
            pool.shutdown()
            throw ExitCode(1)
        }
        await connection.close()
        pool.shutdown()
        let stats = consumer.statistics
        logger.info(
            "drained",
            metadata: [
                "acked": "\(stats.acked.load(ordering: .relaxed))",
                "deadLettered": "\(stats.deadLettered.load(ordering: .relaxed))",
            ])
    }
}
