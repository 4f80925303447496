import AMQPClient
import ArgumentParser
import AttachmentInspection
import Foundation
import JobQueue
import JobWorker
import Logging
import Metrics
import PostgresClient
import ServiceConfiguration
import ServiceLifecycle
import TalentCore
import TalentJobs
import TalentObservability
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

    @Option(help: "Port of /metrics and /health/* (env TALENT_WORKER_HTTP_PORT; 0: any free port).")
    var httpPort: Int?

    /// Every setting of the worker; flags win over the environment.
    ///
    /// | variable | accepts | default |
    /// |---|---|---|
    /// | shared ones | see `ServiceEnvironment` | |
    /// | `TALENT_WORKER_PREFETCH` (`--prefetch`) | 1…65,535 | attachment validations 32; association decisions 400 |
    /// | `TALENT_WORKER_CONCURRENCY` (`--concurrency`) | 1…256 | 4 |
    /// | `TALENT_WORKER_BATCH_SIZE` (`--batch-size`) | 1…1,000 | 16; association decisions 100 |
    /// | `TALENT_WORKER_JOB_TIME_LIMIT` (`--job-time-limit`) | 1…86,400 seconds | 120; association decisions 10 |
    /// | `TALENT_WORKER_HTTP_HOST` | an address | `127.0.0.1` |
    /// | `TALENT_WORKER_HTTP_PORT` (`--http-port`) | 0…65,535 (0: any free port, logged) | 0 |
    /// | `TALENT_NOTICE_CHUNK_SIZE` (notice fan-out only) | 1…1,000,000 units per chunk transaction | 50,000 |
    /// | `TALENT_ELIGIBILITY_SWEEP_INTERVAL` (eligibility only) | 0…86,400 seconds between sweep ticks (0: no sweep in this process) | 300 |
    /// | `TALENT_ELIGIBILITY_SWEEP_CHUNK_SIZE` (eligibility only) | 1…100,000 units per sweep transaction | 1,000 |
    ///
    /// Association decisions only touch the database and batch (set-based writes), so their worker
    /// holds more deliveries, keeps four transactions going (measured: 2 slots leave the database idle
    /// between batches) and applies up to 100 per transaction; their time limit is shorter so
    /// that a held delivery still cannot reach the broker's `consumer_timeout`.
    /// - Throws: ``SettingError`` naming the first refused variable, also when the combination could
    ///   hold a delivery past the broker's `consumer_timeout`.
    func settings(_ reader: SettingsReader, kind: JobKind) throws(SettingError) -> (
        ServiceEnvironment, WorkerConfiguration, OperationsAddress
    ) {
        let environment = try ServiceEnvironment(reader)
        let defaults = Self.defaults(for: kind)
        var worker = WorkerConfiguration(drainGraceSeconds: drainGrace)
        worker.prefetch = UInt16(
            try prefetch.map(Int.init).orSetting { () throws(SettingError) in
                try reader.int("talent.worker.prefetch", default: Int(defaults.prefetch), in: 1...65_535)
            })
        worker.concurrency = try concurrency.orSetting { () throws(SettingError) in
            try reader.int("talent.worker.concurrency", default: defaults.concurrency, in: 1...256)
        }
        worker.batchSize = try batchSize.orSetting { () throws(SettingError) in
            try reader.int("talent.worker.batch.size", default: defaults.batchSize, in: 1...1_000)
        }
        worker.jobTimeLimitSeconds = try jobTimeLimit.orSetting { () throws(SettingError) in
            try reader.int("talent.worker.job.time.limit", default: defaults.jobTimeLimitSeconds, in: 1...86_400)
        }
        do {
            try worker.validate()
        } catch {
            throw SettingError(
                variable: "TALENT_WORKER_PREFETCH, _CONCURRENCY, _BATCH_SIZE, _JOB_TIME_LIMIT",
                accepts: "values whose worst wait stays below the broker's consumer_timeout (\(error.description))",
                given: nil)
        }
        let address = OperationsAddress(
            host: try reader.string("talent.worker.http.host", default: "127.0.0.1"),
            port: try httpPort.orSetting { () throws(SettingError) in
                try reader.int("talent.worker.http.port", default: 0, in: 0...65_535)
            })
        return (environment, worker, address)
    }

    /// Where the worker serves `/metrics` and `/health/*`.
    struct OperationsAddress {
        var host: String
        var port: Int
    }

    /// The defaults of one kind's worker (see ``settings(_:kind:)``).
    static func defaults(for kind: JobKind) -> WorkerConfiguration {
        switch kind {
        // Inspections wait on their child processes: 4 batches of up to 4 files at once keep both
        // cores busy (files prepared at once within a batch).
        case .attachmentValidation: WorkerConfiguration(prefetch: 32, concurrency: 4)
        case .associationDecision:
            WorkerConfiguration(prefetch: 400, concurrency: 4, batchSize: 100, jobTimeLimitSeconds: 10)
        // Few jobs, each holding its unit's row lock briefly: one at a time per connection.
        case .unitProfile: WorkerConfiguration(prefetch: 16, concurrency: 2, jobTimeLimitSeconds: 10)
        // A publication fans out in chunks (a million units in well under the limit); read marks are
        // small. Two at a time, so read marks are not stuck behind one long fan-out.
        case .noticeFanout: WorkerConfiguration(prefetch: 8, concurrency: 2, jobTimeLimitSeconds: 120)
        // Each job writes up to 1,000 inputs and recomputes their units in one transaction.
        case .eligibilityCheck: WorkerConfiguration(prefetch: 16, concurrency: 2, jobTimeLimitSeconds: 60)
        }
    }

    mutating func run() async throws {
        guard let jobKind = JobKind(rawValue: kind) else {
            throw ValidationError("unknown job kind \(kind)")
        }
        let (environment, workerConfiguration, operations) = SettingsReader.readOrExit { () throws(SettingError) in
            try settings(SettingsReader(), kind: jobKind)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: environment.logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "talent-worker")
        // Before anything that records a metric is created.
        MetricsExposition.bootstrap()

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
            let inspector = ContainedInspector()
            let inspectorPath = inspector.configuration.executablePath
            try await Self.consume(
                AttachmentValidationHandler(
                    attachments: AttachmentStore(pool: pool), inspector: inspector,
                    policy: environment.attachmentPolicy, logger: logger),
                kind: jobKind, connection: connection, publisher: publisher, pool: pool,
                configuration: workerConfiguration, operations: operations,
                // Without its inspector the worker could only fail every file (retried, then parked).
                extraChecks: [
                    (
                        "inspector",
                        {
                            FileManager.default.isExecutableFile(atPath: inspectorPath)
                                ? nil : "no executable at \(inspectorPath)"
                        }
                    )
                ], logger: logger)
        case .associationDecision:
            try await Self.consume(
                AssociationDecisionHandler(),
                kind: jobKind, connection: connection, publisher: publisher, pool: pool,
                configuration: workerConfiguration, operations: operations, logger: logger)
        case .noticeFanout:
            let chunkSize = SettingsReader.readOrExit { () throws(SettingError) in
                try SettingsReader().int(
                    "talent.notice.chunk.size", default: NoticeStore.defaultChunkSize, in: 1...1_000_000)
            }
            try await Self.consume(
                NoticeHandler(pool: pool, chunkSize: chunkSize, logger: logger),
                kind: jobKind, connection: connection, publisher: publisher, pool: pool,
                configuration: workerConfiguration, operations: operations, logger: logger)
        case .eligibilityCheck:
            let (interval, chunkSize) = SettingsReader.readOrExit { () throws(SettingError) in
                let reader = SettingsReader()
                return (
                    try reader.int("talent.eligibility.sweep.interval", default: 300, in: 0...86_400),
                    try reader.int(
                        "talent.eligibility.sweep.chunk.size", default: EligibilityStore.defaultSweepChunkSize,
                        in: 1...100_000)
                )
            }
            try await Self.consume(
                EligibilityHandler(),
                kind: jobKind, connection: connection, publisher: publisher, pool: pool,
                configuration: workerConfiguration, operations: operations,
                extraServices: [
                    (
                        EligibilitySweeper(pool: pool, intervalSeconds: interval, chunkSize: chunkSize, logger: logger),
                        "eligibility sweep"
                    )
                ], logger: logger)
        case .unitProfile:
            try await Self.consume(
                UnitProfileHandler(),
                kind: jobKind, connection: connection, publisher: publisher, pool: pool,
                configuration: workerConfiguration, operations: operations, logger: logger)
        }
    }

    /// Consumes `kind`'s queue with `handler` until drained (SIGTERM / SIGINT: exit 0) or until a
    /// service fails, for example the consumer lost for good (exit 1, with a log line naming it).
    static func consume<Handler: JobHandler>(
        _ handler: Handler, kind jobKind: JobKind, connection: AMQPConnection, publisher: AMQPConnection,
        pool: PostgresPool, configuration workerConfiguration: WorkerConfiguration, operations: OperationsAddress,
        extraChecks: [(name: String, check: OperationsServer.Check)] = [],
        extraServices: [(service: any Service, name: String)] = [], logger: Logger
    ) async throws {
        let consumer = JobConsumer(
            connection: connection, publisher: publisher, pool: pool, queues: TalentTopology.queues(for: jobKind),
            handler: handler, configuration: workerConfiguration, logger: logger)
        let broker: OperationsServer.Check = { connection.isConnected ? nil : "not connected" }
        let consuming: OperationsServer.Check = { consumer.isConsuming ? nil : "not consuming" }
        let database: OperationsServer.Check = {
            do {
                try await pool.withConnection { connection in _ = try connection.query("SELECT 1") }
                return nil
            } catch {
                return "unavailable"
            }
        }
        let checks = [("broker", broker), ("consumer", consuming), ("database", database)] + extraChecks
        let server = OperationsServer(
            checks: checks,
            help: MetricsExposition.help(JobMetrics.help, PostgresPool.metricHelp, ContainedInspector.metricHelp),
            beforeScrape: {
                let dimensions = [("kind", jobKind.rawValue)]
                Gauge(label: "talent_consumer_active", dimensions: dimensions).record(consumer.isConsuming ? 1 : 0)
                Gauge(label: "talent_broker_connected", dimensions: dimensions).record(connection.isConnected ? 1 : 0)
            })
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
        // The operations server starts first and stops last: readiness answers during the drain.
        let drained = await ProcessServices.run(
            [
                (server.application(host: operations.host, port: operations.port, logger: logger), "operations server"),
                (pool, "postgres pool"), (publisher, "amqp publisher connection"),
                (connection, "amqp consumer connection"), (consumer, "consumer \(jobKind.rawValue)"),
            ] + extraServices, graceSeconds: workerConfiguration.drainGraceSeconds, logger: logger)
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

extension Optional where Wrapped == Int {
    /// The flag's value, else the setting's.
    fileprivate func orSetting(_ read: () throws(SettingError) -> Int) throws(SettingError) -> Int {
        if let self { return self }
        return try read()
    }
}
