import AMQPClient
import Foundation
import PostgresClient
import TalentCore

/// Settings every executable shares, read from environment variables in this one place. A value that
/// is set but does not parse or is out of range is refused (``SettingError``: the process exits 78).
///
/// | variable | accepts | default |
/// |---|---|---|
/// | `TALENT_POSTGRES_URL` | libpq connection string | `host=127.0.0.1 port=5432 dbname=talent user=postgres` |
/// | `TALENT_AMQP_HOST` / `TALENT_AMQP_PORT` | host / 1…65535 | `127.0.0.1` / `5672` |
/// | `TALENT_AMQP_ADDRESSES` | the cluster's nodes, `host:port,host:port,…` (tried in order, the next one when a node goes away); replaces host and port | unset: the one node above |
/// | `TALENT_AMQP_USER` / `TALENT_AMQP_PASSWORD` / `TALENT_AMQP_VHOST` | text | `guest` / `guest` / `/` |
/// | `TALENT_AMQP_HEARTBEAT_SECONDS` | 0…3600 (0: none) | 30 |
/// | `TALENT_SCHEMAS_DIR` | path | `schemas` (relative to the working directory) |
/// | `TALENT_MAX_ATTACHMENT_BYTES` | 1…134,217,728 | 5 MiB (every kind) |
/// | `TALENT_MAX_IMAGE_PIXELS` | 1…1,000,000,000 | 50,000,000 |
/// | `TALENT_LOG_LEVEL` | trace, debug, info, notice, warning, error, critical | `info` |
public struct ServiceEnvironment: Sendable {
    public var postgresConnInfo: String
    /// The broker's nodes: `TALENT_AMQP_ADDRESSES`, or the one of `TALENT_AMQP_HOST` and `TALENT_AMQP_PORT`.
    public var amqpAddresses: [AMQPAddress]
    public var amqpUser: String
    public var amqpPassword: String
    public var amqpVirtualHost: String
    public var amqpHeartbeatSeconds: Int
    public var schemasDirectory: URL
    public var attachmentPolicy: AttachmentPolicy
    /// swift-log level name.
    public var logLevel: String

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Reads the shared settings. - Throws: ``SettingError`` naming the first refused variable.
    public init(_ settings: SettingsReader = SettingsReader()) throws(SettingError) {
        postgresConnInfo = try settings.string(
            "talent.postgres.url", default: "host=127.0.0.1 port=5432 dbname=talent user=postgres")
        let amqpHost = try settings.string("talent.amqp.host", default: "127.0.0.1")
        let amqpPort = try settings.int("talent.amqp.port", default: 5672, in: 1...65_535)
        if let list = try settings.optionalString("talent.amqp.addresses") {
            guard let addresses = AMQPAddress.list(list) else {
                throw settings.refused(
                    "talent.amqp.addresses", accepts: "a comma-separated list of host:port (port 1…65535)",
                    given: list)
            }
            amqpAddresses = addresses
        } else {
            amqpAddresses = [AMQPAddress(host: amqpHost, port: amqpPort)]
        }
        amqpUser = try settings.string("talent.amqp.user", default: "guest")
        amqpPassword = try settings.string("talent.amqp.password", default: "guest")
        amqpVirtualHost = try settings.string("talent.amqp.vhost", default: "/")
        amqpHeartbeatSeconds = try settings.int("talent.amqp.heartbeat.seconds", default: 30, in: 0...3_600)
        schemasDirectory = URL(fileURLWithPath: try settings.string("talent.schemas.dir", default: "schemas"))
        let maxBytes = try settings.int(
            "talent.max.attachment.bytes", default: AttachmentPolicy.defaultMaxBytes, in: 1...134_217_728)
        attachmentPolicy = AttachmentPolicy(
            maxBytesByKind: Dictionary(uniqueKeysWithValues: AttachmentKind.allCases.map { ($0, maxBytes) }),
            maxPixels: try settings.int(
                "talent.max.image.pixels", default: AttachmentPolicy.defaultMaxPixels, in: 1...1_000_000_000))
        logLevel = try settings.choice("talent.log.level", default: "info", from: Self.logLevels)
    }

    /// Broker settings for a connection shown as `connectionName` in the broker.
    public func amqp(connectionName: String) -> AMQPConfiguration {
        AMQPConfiguration(
            addresses: amqpAddresses, user: amqpUser, password: amqpPassword, virtualHost: amqpVirtualHost,
            heartbeatSeconds: amqpHeartbeatSeconds, connectionName: connectionName)
    }

    public func postgres(poolSize: Int) -> PostgresPool.Configuration {
        PostgresPool.Configuration(conninfo: postgresConnInfo, size: poolSize)
    }
}
