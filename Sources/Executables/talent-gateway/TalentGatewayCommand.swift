import AMQPClient
import ArgumentParser
import Foundation
import Hummingbird
import JobQueue
import Logging
import PostgresClient
import ServiceConfiguration
import TalentCore
import TalentGateway
import TalentObservability

/// `talent-gateway`: the HTTP gateway. Settings are read once, at start, by ``settings(_:)``; a refused
/// one stops the process with exit 78 naming the variable.
///
/// | variable | accepts | default |
/// |---|---|---|
/// | shared ones | see `ServiceEnvironment` | |
/// | `TALENT_HTTP_HOST` / `TALENT_HTTP_PORT` | listen address / 1…65535 | `127.0.0.1` / 8080 |
/// | `TALENT_JWT_JWKS` | the identity platform's key set (JWKS): a file path or an `http(s)://` URL | required |
/// | `TALENT_JWT_ALGORITHMS` | comma-separated allow-list from ES256, ES384, ES512, EdDSA, RS256, PS256 | `ES256,ES384,EdDSA` |
/// | `TALENT_JWKS_REFRESH_SECONDS` | 1…86,400 (how often the key set is reloaded) | 60 |
/// | `TALENT_JWT_ISSUER` | the identity platform's `iss` | required (no development default) |
/// | `TALENT_JWT_AUDIENCE` | expected `aud` | `talent-gateway` |
/// | `TALENT_SERVICE_PUBLIC_KEY` | path of the upstream services' ES256 public key (PEM) | unset: no service tokens |
/// | `TALENT_RELAY_AFTER_SECONDS` | 1…86,400 | 30 |
/// | `TALENT_RELAY_STALE_SECONDS` | 1…86,400 | 900 |
/// | `TALENT_UNIT_REQUESTS_PER_SECOND` / `TALENT_UNIT_REQUEST_BURST` | 0…1,000,000 (0: no limit) / 1…10,000,000 | 100 / 400 |
/// | `TALENT_SERVICE_REQUESTS_PER_SECOND` / `TALENT_SERVICE_REQUEST_BURST` | 0…1,000,000 / 1…10,000,000 | 1,000 / 4,000 |
/// | `TALENT_ADMISSION_MAX_QUEUED_AGE_SECONDS` | 0…86,400 (0: off) | 300 |
/// | `TALENT_ADMISSION_MIN_OLD_JOBS` | 1…1,000,000 (jobs that old refusing a kind) | 100 |
/// | `TALENT_POSTGRES_REPLICA_URL` | libpq connection string of a streaming replica for lists that may lag | unset: primary only |
/// | `TALENT_POSTGRES_REPLICA_MAX_LAG_SECONDS` | 0…3,600 (past it, those reads go to the primary) | 5 |
/// | `TALENT_POSTGRES_REPLICA_OWN_WRITES_SECONDS` | 0…86,400 (a unit that wrote within it reads from the primary) | 60 |
@main
struct TalentGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "talent-gateway", abstract: "Serve the HTTP API; publish state changes as jobs.")

    @Option(help: "Seconds given to requests in flight after SIGTERM before they are cancelled.")
    var shutdownGrace: Int = 30

    /// Every setting of the gateway. - Throws: ``SettingError`` naming the first refused variable.
    static func settings(_ reader: SettingsReader) throws(SettingError) -> (ServiceEnvironment, GatewayConfiguration) {
        let service = try ServiceEnvironment(reader)
        var configuration = GatewayConfiguration(
            host: try reader.string("talent.http.host", default: "127.0.0.1"),
            port: try reader.int("talent.http.port", default: 8080, in: 1...65_535),
            identityKeys: IdentityKeySource(
                try reader.requiredString(
                    "talent.jwt.jwks", accepts: "the identity platform's key set (JWKS): a file path or http(s) URL")),
            tokenIssuer: try reader.requiredString(
                "talent.jwt.issuer", accepts: "the identity platform's issuer (iss)"),
            tokenAudience: try reader.string("talent.jwt.audience", default: DevelopmentIssuer.defaultAudience),
            attachmentPolicy: service.attachmentPolicy)
        let algorithmList = try reader.string(
            "talent.jwt.algorithms",
            default: GatewayConfiguration.defaultTokenAlgorithms.sorted().joined(separator: ","))
        let algorithms = algorithmList.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !algorithms.isEmpty, algorithms.allSatisfy(IdentityKeySet.supportedAlgorithms.contains) else {
            throw SettingError(
                variable: "TALENT_JWT_ALGORITHMS",
                accepts:
                    "a comma-separated list from \(IdentityKeySet.supportedAlgorithms.sorted().joined(separator: ", "))",
                given: algorithmList)
        }
        configuration.tokenAlgorithms = Set(algorithms)
        configuration.identityKeysRefreshSeconds = try reader.int(
            "talent.jwks.refresh.seconds", default: 60, in: 1...86_400)
        configuration.servicePublicKeyPEM = try reader.optionalFile(
            "talent.service.public.key", accepts: "the path of the upstream services' public key (PEM)")
        configuration.relay.pendingQueues = Dictionary(
            uniqueKeysWithValues: JobKind.allCases.map { ($0, TalentTopology.queues(for: $0).pendingQueues) })
        configuration.relay.afterSeconds = try reader.int(
            "talent.relay.after.seconds", default: configuration.relay.afterSeconds, in: 1...86_400)
        configuration.relay.staleAfterSeconds = try reader.int(
            "talent.relay.stale.seconds", default: configuration.relay.staleAfterSeconds, in: 1...86_400)
        configuration.unitRequestsPerSecond = Double(
            try reader.int("talent.unit.requests.per.second", default: 100, in: 0...1_000_000))
        configuration.unitRequestBurst = try reader.int("talent.unit.request.burst", default: 400, in: 1...10_000_000)
        configuration.serviceRequestsPerSecond = Double(
            try reader.int("talent.service.requests.per.second", default: 1_000, in: 0...1_000_000))
        configuration.serviceRequestBurst = try reader.int(
            "talent.service.request.burst", default: 4_000, in: 1...10_000_000)
        configuration.admissionMaxQueuedAgeSeconds = try reader.int(
            "talent.admission.max.queued.age.seconds", default: 300, in: 0...86_400)
        configuration.replicaConnInfo = try reader.optionalString("talent.postgres.replica.url")
        configuration.replicaMaxLagSeconds = try reader.int(
            "talent.postgres.replica.max.lag.seconds", default: 5, in: 0...3_600)
        configuration.replicaOwnWritesSeconds = try reader.int(
            "talent.postgres.replica.own.writes.seconds", default: 60, in: 0...86_400)
        configuration.admissionMinOldJobs = try reader.int(
            "talent.admission.min.old.jobs", default: 100, in: 1...1_000_000)
        return (service, configuration)
    }

    mutating func run() async throws {
        let (service, configuration) = SettingsReader.readOrExit { () throws(SettingError) in
            try Self.settings(SettingsReader())
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: service.logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "talent-gateway")
        // Before anything that records a metric is created.
        MetricsExposition.bootstrap()
        JobPublisher.registerMetrics()

        let pool = PostgresPool(
            configuration: service.postgres(poolSize: configuration.databasePoolSize), logger: Logger(label: "postgres")
        )
        let connection = AMQPConnection(
            configuration: service.amqp(connectionName: "talent-gateway pid \(getpid())"), logger: Logger(label: "amqp")
        )
        let replica = configuration.replicaConnInfo.map { conninfo in
            ReplicaMonitor(
                primary: pool,
                replica: PostgresPool(
                    configuration: .init(conninfo: conninfo, size: configuration.databasePoolSize),
                    logger: Logger(label: "postgres.replica")),
                lagBound: .seconds(configuration.replicaMaxLagSeconds))
        }
        // Checked at start-up: a mismatch stops the process here instead of failing publishes later.
        guard try await TalentTopology.declareAtStartUp(on: connection, logger: logger) else { throw ExitCode(78) }
        let gateway: GatewayApplication
        do {
            gateway = try await GatewayApplication(
                configuration: configuration, pool: pool, connection: connection, replica: replica, logger: logger)
        } catch let error as IdentityKeySet.LoadError {
            // A configuration problem: EX_CONFIG, naming the setting.
            logger.critical("TALENT_JWT_JWKS: \(error)")
            throw ExitCode(78)
        }
        // Started in this order, shut down in reverse on SIGTERM / SIGINT: the HTTP server stops
        // accepting and finishes its requests, then the relay, the broker connection, the pool.
        let drained = await ProcessServices.run(
            [(pool, "postgres pool")] + gateway.replicaServices + [
                (connection, "amqp publisher connection"), (gateway.relay, "job relay"),
                (gateway.keyRefresher, "identity key refresher"),
                (gateway.admissionMonitor, "queue admission"), (gateway.application(), "http server"),
            ], graceSeconds: shutdownGrace, logger: logger)
        guard drained else { throw ExitCode(1) }
    }
}
