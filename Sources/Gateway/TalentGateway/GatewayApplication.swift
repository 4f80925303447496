import AMQPClient
import Hummingbird
import Logging
import PostgresClient
import TalentStore

/// Builds the gateway's router and application from its dependencies.
public struct GatewayApplication: Sendable {
    public let configuration: GatewayConfiguration
    public let pool: PostgresPool
    public let connection: AMQPConnection
    public let verifier: TokenVerifier
    let logger: Logger

    public init(
        configuration: GatewayConfiguration, pool: PostgresPool, connection: AMQPConnection, logger: Logger
    ) async throws {
        self.configuration = configuration
        self.pool = pool
        self.connection = connection
        self.logger = logger
        self.verifier = try await TokenVerifier(
            publicKeyPEM: configuration.tokenPublicKeyPEM, issuer: configuration.tokenIssuer,
            audience: configuration.tokenAudience)
    }

    var publisher: JobPublisher {
        JobPublisher(
            connection: connection, jobs: JobStore(pool: pool),
            confirmTimeout: .seconds(configuration.publishConfirmTimeoutSeconds))
    }

    /// The relay that publishes jobs again from the outbox; run it beside the server.
    public var relay: JobRelay {
        JobRelay(jobs: JobStore(pool: pool), publisher: publisher, settings: configuration.relay, logger: logger)
    }

    public func router() -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: ErrorMappingMiddleware())
        let attachmentRoutes = AttachmentRoutes(
            attachments: AttachmentStore(pool: pool), jobs: JobStore(pool: pool), publisher: publisher,
            policy: configuration.attachmentPolicy)
        let jobRoutes = JobRoutes(jobs: JobStore(pool: pool))
        let healthRoutes = HealthRoutes(pool: pool, connection: connection)
        let authenticated = router.group().add(middleware: AuthenticationMiddleware(verifier: verifier))
        for operation in GatewayOperation.allCases {
            let handler: @Sendable (Request, GatewayRequestContext) async throws -> Response =
                switch operation {
                case .getLiveness: healthRoutes.live
                case .getReadiness: healthRoutes.ready
                case .uploadAttachment: attachmentRoutes.upload
                case .listAttachments: attachmentRoutes.list
                case .getAttachment: attachmentRoutes.get
                case .deleteAttachment: attachmentRoutes.delete
                case .getJob: jobRoutes.get
                }
            let path = RouterPath(operation.path)
            if operation.requiresUnitToken {
                authenticated.on(path, method: operation.method, use: handler)
            } else {
                router.on(path, method: operation.method, use: handler)
            }
        }
        return router
    }

    /// The HTTP application (Hummingbird), listening on the configured address. `SIGTERM` stops it
    /// gracefully when run with `runService()`.
    public func application() -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "talent-gateway"),
            logger: logger)
    }
}
