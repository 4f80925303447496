import AMQPClient
import Foundation
import PostgresClient
import TalentCore

/// Settings every executable shares, read from environment variables in this one place.
///
/// | variable | default |
/// |---|---|
/// | `TALENT_POSTGRES_URL` | `host=127.0.0.1 port=5432 dbname=talent user=postgres` (libpq connection string) |
/// | `TALENT_AMQP_HOST` / `TALENT_AMQP_PORT` | `127.0.0.1` / `5672` |
/// | `TALENT_AMQP_USER` / `TALENT_AMQP_PASSWORD` / `TALENT_AMQP_VHOST` | `guest` / `guest` / `/` |
/// | `TALENT_AMQP_HEARTBEAT_SECONDS` | 30 |
/// | `TALENT_SCHEMAS_DIR` | `schemas` (relative to the working directory) |
/// | `TALENT_MAX_ATTACHMENT_BYTES` | 5 MiB (every kind) |
/// | `TALENT_MAX_IMAGE_PIXELS` | 50,000,000 |
public struct ServiceEnvironment: Sendable {
    public var postgresConnInfo: String
    public var amqpHost: String
    public var amqpPort: Int
    public var amqpUser: String
    public var amqpPassword: String
    public var amqpVirtualHost: String
    public var amqpHeartbeatSeconds: Int
    public var schemasDirectory: URL
    public var attachmentPolicy: AttachmentPolicy

    /// Reads the process environment (or `environment`, for tests).
    public init(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
        postgresConnInfo =
            environment["TALENT_POSTGRES_URL"] ?? "host=127.0.0.1 port=5432 dbname=talent user=postgres"
        amqpHost = environment["TALENT_AMQP_HOST"] ?? "127.0.0.1"
        amqpPort = environment["TALENT_AMQP_PORT"].flatMap(Int.init) ?? 5672
        amqpUser = environment["TALENT_AMQP_USER"] ?? "guest"
        amqpPassword = environment["TALENT_AMQP_PASSWORD"] ?? "guest"
        amqpVirtualHost = environment["TALENT_AMQP_VHOST"] ?? "/"
        amqpHeartbeatSeconds = environment["TALENT_AMQP_HEARTBEAT_SECONDS"].flatMap(Int.init) ?? 30
        schemasDirectory = URL(fileURLWithPath: environment["TALENT_SCHEMAS_DIR"] ?? "schemas")
        let maxBytes = environment["TALENT_MAX_ATTACHMENT_BYTES"].flatMap(Int.init) ?? AttachmentPolicy.defaultMaxBytes
        attachmentPolicy = AttachmentPolicy(
            maxBytesByKind: Dictionary(uniqueKeysWithValues: AttachmentKind.allCases.map { ($0, maxBytes) }),
            maxPixels: environment["TALENT_MAX_IMAGE_PIXELS"].flatMap(Int.init) ?? AttachmentPolicy.defaultMaxPixels)
    }

    /// Broker settings for a connection shown as `connectionName` in the broker.
    public func amqp(connectionName: String) -> AMQPConfiguration {
        AMQPConfiguration(
            host: amqpHost, port: amqpPort, user: amqpUser, password: amqpPassword, virtualHost: amqpVirtualHost,
            heartbeatSeconds: amqpHeartbeatSeconds, connectionName: connectionName)
    }

    public func postgres(poolSize: Int) -> PostgresPool.Configuration {
        PostgresPool.Configuration(conninfo: postgresConnInfo, size: poolSize)
    }
}
