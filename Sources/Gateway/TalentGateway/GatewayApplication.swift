import AMQPClient
import Hummingbird
import JobQueue
import Logging
import PostgresClient
import ServiceLifecycle
import TalentAPI
import TalentStore

/// Builds the gateway's router and application from its dependencies.
public struct GatewayApplication: Sendable {
    public let configuration: GatewayConfiguration
    public let pool: PostgresPool
    public let connection: AMQPConnection
    public let verifier: TokenVerifier
    public let serviceVerifier: ServiceTokenVerifier
    let logger: Logger

    public init(
        configuration: GatewayConfiguration, pool: PostgresPool, connection: AMQPConnection,
        replica: ReplicaMonitor? = nil, logger: Logger
    ) async throws {
        self.configuration = configuration
        self.pool = pool
        self.connection = connection
        self.logger = logger
        let keys = IdentityKeySet(
            source: configuration.identityKeys, algorithms: configuration.tokenAlgorithms,
            logger: Logger(label: "identity-keys"))
        // At start the keys must be there: a gateway that could verify nothing does not start.
        guard try await keys.reload() > 0 else {
            throw IdentityKeySet.LoadError(description: "\(configuration.identityKeys) has no usable key")
        }
        self.verifier = TokenVerifier(
            keys: keys, issuer: configuration.tokenIssuer, audience: configuration.tokenAudience)
        self.serviceVerifier = try await ServiceTokenVerifier(publicKeyPEM: configuration.servicePublicKeyPEM)
        self.logins = LoginRecorder(store: LoginStore(pool: pool))
        self.budgets = RequestBudgets(
            unit: .init(ratePerSecond: configuration.unitRequestsPerSecond, burst: configuration.unitRequestBurst),
            service: .init(
                ratePerSecond: configuration.serviceRequestsPerSecond, burst: configuration.serviceRequestBurst))
        self.admission = QueueAdmission(
            maximumAgeSeconds: configuration.admissionMaxQueuedAgeSeconds,
            minimumOldJobs: configuration.admissionMinOldJobs, jobs: JobStore(pool: pool), logger: logger)
        self.outbox = OutboxWriter(pool: pool, concurrentTransactions: max(configuration.databasePoolSize / 4, 1))
        self.reads = ReadRouting(
            primary: pool, replica: replica,
            // Without a replica every read is on the primary: nothing to remember (a zero window records nothing).
            writers: RecentWriters(window: replica == nil ? .zero : .seconds(configuration.replicaOwnWritesSeconds)))
    }

    /// Where reads that may lag run (the replica, when one is configured and fresh).
    let reads: ReadRouting

    /// The replica's pool and lag monitor when one is configured (none otherwise); run them after the
    /// primary's pool, before the server.
    public var replicaServices: [(service: any Service, name: String)] {
        guard let replica = reads.replica else { return [] }
        return [(replica.replica, "postgres replica pool"), (replica, "replica lag monitor")]
    }

    /// Shared by every request: submissions share transactions.
    let outbox: OutboxWriter

    /// Shared by every request, so each token is recorded once per process.
    let logins: LoginRecorder

    /// Every caller's request budget (429 beyond it).
    let budgets: RequestBudgets

    /// Admission per job kind (503 while a kind's queue is too far behind).
    let admission: QueueAdmission

    /// What reloads the identity platform's keys; run it beside the server.
    public var keyRefresher: IdentityKeyRefresher {
        IdentityKeyRefresher(
            keys: verifier.keys, intervalSeconds: configuration.identityKeysRefreshSeconds, logger: logger)
    }

    /// What reads the queues' ages for admission control; run it beside the server.
    public var admissionMonitor: any Service { admission }

    var submitter: JobSubmitter {
        JobSubmitter(
            pool: pool, publisher: publisher, jobs: JobStore(pool: pool), outbox: outbox, writers: reads.writers)
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
        // Outermost: it counts every answer, the mapped errors included.
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ErrorMappingMiddleware())
        let idempotency = IdempotentRequests(keys: IdempotencyStore(pool: pool), jobs: JobStore(pool: pool))
        let waiter = PreferWait(jobs: JobStore(pool: pool))
        let attachmentRoutes = AttachmentRoutes(
            attachments: AttachmentStore(pool: pool), reads: reads, jobs: JobStore(pool: pool), submitter: submitter,
            policy: configuration.attachmentPolicy, idempotency: idempotency, waiter: waiter, admission: admission)
        let jobRoutes = JobRoutes(jobs: JobStore(pool: pool))
        let acceptance = JobAcceptance(submitter: submitter, idempotency: idempotency, waiter: waiter)
        let associationRoutes = AssociationRoutes(
            associations: AssociationStore(pool: pool), pool: pool, reads: reads, idempotency: idempotency,
            acceptance: acceptance,
            admission: admission)
        let unitRoutes = UnitRoutes(
            profiles: UnitProfileStore(pool: pool), idempotency: idempotency, acceptance: acceptance,
            admission: admission)
        let noticeRoutes = NoticeRoutes(
            notices: NoticeStore(pool: pool), reads: reads, idempotency: idempotency, acceptance: acceptance,
            admission: admission)
        let eligibilityRoutes = EligibilityRoutes(
            eligibility: EligibilityStore(pool: pool), businessItems: BusinessItemStore(pool: pool),
            associations: AssociationStore(pool: pool), idempotency: idempotency, acceptance: acceptance,
            admission: admission)
        let healthRoutes = HealthRoutes(pool: pool, connection: connection)
        let authenticated = router.group().add(
            middleware: AuthenticationMiddleware(verifier: verifier, logins: logins, budgets: budgets))
        for operation in GatewayOperation.allCases {
            let handler: @Sendable (Request, GatewayRequestContext) async throws -> Response =
                switch operation {
                case .getLiveness: healthRoutes.live
                case .getReadiness: healthRoutes.ready
                case .getMetrics: healthRoutes.metrics
                case .uploadAttachment: attachmentRoutes.upload
                case .listAttachments: attachmentRoutes.list
                case .getAttachment: attachmentRoutes.get
                case .deleteAttachment: attachmentRoutes.delete
                case .getJob: jobRoutes.get
                case .getEmployeeSummary: associationRoutes.summary
                case .listAssociationRequests: associationRoutes.listPending
                case .approveAssociationRequest: associationRoutes.approve
                case .rejectAssociationRequest: associationRoutes.reject
                case .listEmployees: associationRoutes.listEmployees
                case .getEmployee: associationRoutes.employee
                case .updateEmployeePosition: associationRoutes.updatePosition
                case .checkEmployeeUnlink: associationRoutes.unlinkCheck
                case .unlinkEmployee: associationRoutes.unlink
                case .getServiceJob: jobRoutes.getForService
                case .submitAssociationRequest: associationRoutes.submitRequest
                case .getUnit: unitRoutes.home
                case .getUnitProfile: unitRoutes.profile
                case .getProfileDraft: unitRoutes.draft
                case .saveGeneralInformation: unitRoutes.saveGeneralInformation
                case .saveQualifications: unitRoutes.saveQualifications
                case .saveBusinessHandler: unitRoutes.saveBusinessHandler
                case .saveProfileAttachments: unitRoutes.saveAttachments
                case .previewProfile: unitRoutes.preview
                case .submitProfile: unitRoutes.submit
                case .listProfileChanges: unitRoutes.changes
                case .updateHandler: unitRoutes.updateHandler
                case .publishNotice: noticeRoutes.publish
                case .getNotice: noticeRoutes.notice
                case .withdrawNotice: noticeRoutes.withdraw
                case .getHome: noticeRoutes.home
                case .listNotices: noticeRoutes.list
                case .listPrompts: noticeRoutes.listPrompts
                case .markRead: noticeRoutes.markRead
                case .updateCreditList: eligibilityRoutes.creditList
                case .reportRegistrationChanges: eligibilityRoutes.registrationChanges
                case .reportBusinessItems: eligibilityRoutes.reportBusinessItems
                case .listServices: eligibilityRoutes.services
                case .listBusinessItems: eligibilityRoutes.inProgress
                }
            let path = RouterPath(operation.path)
            switch operation.authentication {
            case .none: router.on(path, method: operation.method, use: handler)
            case .unit: authenticated.on(path, method: operation.method, use: handler)
            case .service(let scope):
                router.group().add(
                    middleware: ServiceAuthenticationMiddleware(
                        verifier: serviceVerifier, scope: scope, budgets: budgets)
                )
                .on(path, method: operation.method, use: handler)
            }
        }
        return router
    }

    /// The HTTP application (Hummingbird), listening on the configured address. `SIGTERM` stops it
    /// gracefully when run with `runService()`.
    public func application() -> some ApplicationProtocol {
        Application(
            router: router(),
            server: .http1(configuration: .init(additionalChannelHandlers: [HTTPProtocolHandler()])),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "talent-gateway"),
            logger: logger)
    }
}
