import AMQPClient
import Foundation
import PostgresClient

/// Where the services and binaries the tests use are: set by `scripts/test.sh`, which starts a real
/// PostgreSQL and RabbitMQ and gives the tests their own database and virtual host.
public struct TestEnvironment: Sendable {
    public var binDirectory: URL
    public var postgresConnInfo: String
    public var amqpPort: Int
    /// A cluster's nodes (`TALENT_TEST_AMQP_ADDRESSES`, the cluster fault suite); when set, processes and
    /// connections use them instead of `127.0.0.1:amqpPort`.
    public var amqpAddresses: [AMQPAddress]?
    public var amqpVirtualHost: String
    public var corpusDirectory: URL
    public var runDirectory: URL
    public var httpPort: Int
    public var schemasDirectory: URL

    public struct Missing: Error, CustomStringConvertible {
        public var variable: String
        public var description: String {
            "\(variable) is not set or not valid: run the tests with scripts/test.sh, which starts PostgreSQL and RabbitMQ"
        }
    }

    /// Reads the `TALENT_TEST_*` variables.
    /// - Throws: ``Missing`` naming the first absent variable.
    public static func current() throws -> TestEnvironment {
        let env = ProcessInfo.processInfo.environment
        func value(_ name: String) throws -> String {
            guard let value = env[name], !value.isEmpty else { throw Missing(variable: name) }
            return value
        }
        return TestEnvironment(
            binDirectory: URL(fileURLWithPath: try value("TALENT_TEST_BIN")),
            postgresConnInfo: try value("TALENT_TEST_POSTGRES_URL"),
            amqpPort: Int(try value("TALENT_TEST_AMQP_PORT")) ?? 5672,
            amqpAddresses: try env["TALENT_TEST_AMQP_ADDRESSES"].map { text in
                guard let list = AMQPAddress.list(text) else {
                    throw Missing(variable: "TALENT_TEST_AMQP_ADDRESSES (host:port,…)")
                }
                return list
            },
            amqpVirtualHost: try value("TALENT_TEST_AMQP_VHOST"),
            corpusDirectory: URL(fileURLWithPath: try value("TALENT_TEST_CORPUS")),
            runDirectory: URL(fileURLWithPath: try value("TALENT_TEST_RUN_DIR")),
            httpPort: Int(try value("TALENT_TEST_HTTP_PORT")) ?? 58090,
            schemasDirectory: URL(fileURLWithPath: try value("TALENT_SCHEMAS_DIR")))
    }

    /// Environment for a gateway or worker process pointed at the test services.
    public func processEnvironment(extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["TALENT_POSTGRES_URL"] = postgresConnInfo
        environment["TALENT_AMQP_HOST"] = "127.0.0.1"
        environment["TALENT_AMQP_PORT"] = String(amqpPort)
        environment["TALENT_AMQP_VHOST"] = amqpVirtualHost
        // One node or the cluster, never a list inherited from the shell.
        environment["TALENT_AMQP_ADDRESSES"] = amqpAddresses.map { $0.map(\.description).joined(separator: ",") }
        environment["TALENT_HTTP_PORT"] = String(httpPort)
        environment["TALENT_SCHEMAS_DIR"] = schemasDirectory.path
        // Short relay periods, so jobs lost from the broker (fault tests) come back within a minute.
        environment["TALENT_RELAY_AFTER_SECONDS"] = "10"
        environment["TALENT_RELAY_STALE_SECONDS"] = "20"
        // A unit budget the flood test can exhaust (clients retry a 429 after its Retry-After).
        environment["TALENT_UNIT_REQUESTS_PER_SECOND"] = "50"
        environment["TALENT_UNIT_REQUEST_BURST"] = "100"
        environment["TALENT_JWT_ISSUER"] = "https://sso.beijing.gov.cn.local-dev"
        environment["TALENT_JWT_PRIVATE_KEY"] = runDirectory.appendingPathComponent("keys/private.pem").path
        environment["TALENT_JWT_JWKS"] = runDirectory.appendingPathComponent("keys/jwks.json").path
        environment["TALENT_JWKS_REFRESH_SECONDS"] = "1"
        environment["TALENT_SERVICE_PRIVATE_KEY"] = runDirectory.appendingPathComponent("keys/service-private.pem").path
        environment["TALENT_SERVICE_PUBLIC_KEY"] = runDirectory.appendingPathComponent("keys/service-public.pem").path
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    public func amqpConfiguration(name: String) -> AMQPConfiguration {
        AMQPConfiguration(
            addresses: amqpAddresses ?? [AMQPAddress(host: "127.0.0.1", port: amqpPort)], virtualHost: amqpVirtualHost,
            connectionName: name)
    }
}
