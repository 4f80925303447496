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

/// `talent-gateway`: the HTTP gateway. Settings from the environment (see ServiceEnvironment) plus:
/// `TALENT_HTTP_HOST` (127.0.0.1), `TALENT_HTTP_PORT` (8080), `TALENT_JWT_PUBLIC_KEY` (PEM path),
/// `TALENT_JWT_ISSUER`, `TALENT_JWT_AUDIENCE`, `TALENT_SERVICE_PUBLIC_KEY` (PEM path; unset = no service tokens), `TALENT_RELAY_AFTER_SECONDS` (30),
/// `TALENT_RELAY_STALE_SECONDS` (900); see ``GatewayConfiguration`` and ``RelaySettings``.
@main
struct TalentGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "talent-gateway", abstract: "Serve the HTTP API; publish state changes as jobs.")

    @Option(help: "Seconds given to requests in flight after SIGTERM before they are cancelled.")
    var shutdownGrace: Int = 30

    mutating func run() async throws {
        let env = ProcessInfo.processInfo.environment
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = env["TALENT_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
            return handler
        }
        let logger = Logger(label: "talent-gateway")
        let service = ServiceEnvironment()
        guard let keyPath = env["TALENT_JWT_PUBLIC_KEY"],
            let publicKey = try? String(contentsOfFile: keyPath, encoding: .utf8)
        else {
            logger.critical("TALENT_JWT_PUBLIC_KEY must name the identity issuer's public key (PEM)")
            throw ExitCode(78)
        }
        var configuration = GatewayConfiguration(
            host: env["TALENT_HTTP_HOST"] ?? "127.0.0.1", port: env["TALENT_HTTP_PORT"].flatMap(Int.init) ?? 8080,
            tokenPublicKeyPEM: publicKey, attachmentPolicy: service.attachmentPolicy)
        if let issuer = env["TALENT_JWT_ISSUER"] { configuration.tokenIssuer = issuer }
        if let audience = env["TALENT_JWT_AUDIENCE"] { configuration.tokenAudience = audience }
        if let path = env["TALENT_SERVICE_PUBLIC_KEY"] {
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
                logger.critical("TALENT_SERVICE_PUBLIC_KEY names a file that cannot be read")
                throw ExitCode(78)
            }
            configuration.servicePublicKeyPEM = pem
        }
        configuration.relay.pendingQueues = Dictionary(
            uniqueKeysWithValues: JobKind.allCases.map { ($0, TalentTopology.queues(for: $0).pendingQueues) })
        if let seconds = env["TALENT_RELAY_AFTER_SECONDS"].flatMap(Int.init) {
            configuration.relay.afterSeconds = seconds
        }
        if let seconds = env["TALENT_RELAY_STALE_SECONDS"].flatMap(Int.init) {
            configuration.relay.staleAfterSeconds = seconds
        }

        let pool = PostgresPool(
            configuration: service.postgres(poolSize: configuration.databasePoolSize), logger: Logger(label: "postgres")
        )
        let connection = AMQPConnection(
            configuration: service.amqp(connectionName: "talent-gateway pid \(getpid())"), logger: Logger(label: "amqp")
        )
        // Checked at start-up: a mismatch stops the process here instead of failing publishes later.
        guard try await TalentTopology.declareAtStartUp(on: connection, logger: logger) else { throw ExitCode(78) }
        let gateway = try await GatewayApplication(
            configuration: configuration, pool: pool, connection: connection, logger: logger)
        // Started in this order, shut down in reverse on SIGTERM / SIGINT: the HTTP server stops
        // accepting and finishes its requests, then the relay, the broker connection, the pool.
        let drained = await ProcessServices.run(
            [
                (pool, "postgres pool"), (connection, "amqp publisher connection"), (gateway.relay, "job relay"),
                (gateway.application(), "http server"),
            ], graceSeconds: shutdownGrace, logger: logger)
        guard drained else { throw ExitCode(1) }
    }
}
