import AMQPClient
import Foundation
import JobQueue
import PostgresClient
import TalentClient
import TalentCore
import TalentGateway
import TalentStore

/// The whole system for integration tests: migrated test database, declared topology, a gateway
/// process and worker processes, all against the real services `scripts/test.sh` started.
public actor TestSystem {
    public nonisolated let environment: TestEnvironment
    public nonisolated let pool: PostgresPool
    public private(set) var gateway: ManagedProcess?
    public private(set) var workers: [ManagedProcess] = []
    /// The association-decision worker (not among ``workers``, which the fault tests kill and restart).
    public private(set) var associationWorker: ManagedProcess?
    /// The unit-profile worker.
    public private(set) var profileWorker: ManagedProcess?
    /// The notice worker (fan-outs, withdrawals, read marks).
    public private(set) var noticeWorker: ManagedProcess?
    /// The eligibility worker (credit list, registration changes, business items; the daily sweep).
    public private(set) var eligibilityWorker: ManagedProcess?
    private var workerCount = 0
    private var issuer: DevelopmentIssuer?
    private var serviceIssuer: DevelopmentIssuer?

    public init(environment: TestEnvironment) {
        self.environment = environment
        self.pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 2))
    }

    /// Migrates, declares the topology, creates the issuer key pair, starts the gateway and one worker.
    public func start() async throws {
        let runner = MigrationRunner(directory: environment.schemasDirectory.appendingPathComponent("migrations"))
        _ = try await pool.withConnection { connection in try runner.apply(on: connection).count }
        let connection = AMQPConnection(configuration: environment.amqpConfiguration(name: "test setup"))
        try await connection.declare(TalentTopology.definition)
        await connection.close()
        let processEnvironment = environment.processEnvironment()
        issuer = try await DevelopmentIssuer(
            privateKeyPath: processEnvironment["TALENT_JWT_PRIVATE_KEY"]!,
            publicKeyPath: processEnvironment["TALENT_JWT_JWKS"]!)
        serviceIssuer = try await DevelopmentIssuer(
            privateKeyPath: processEnvironment["TALENT_SERVICE_PRIVATE_KEY"]!,
            publicKeyPath: processEnvironment["TALENT_SERVICE_PUBLIC_KEY"]!, issuer: "personal-portal-dev")
        gateway = try ManagedProcess(
            name: "gateway", executable: environment.binDirectory.appendingPathComponent("talent-gateway"),
            arguments: [], environment: processEnvironment, runDirectory: environment.runDirectory)
        try await startWorker()
        associationWorker = try ManagedProcess(
            name: "association-worker", executable: environment.binDirectory.appendingPathComponent("talent-worker"),
            arguments: [JobKind.associationDecision.rawValue], environment: processEnvironment,
            runDirectory: environment.runDirectory)
        profileWorker = try ManagedProcess(
            name: "profile-worker", executable: environment.binDirectory.appendingPathComponent("talent-worker"),
            arguments: [JobKind.unitProfile.rawValue], environment: processEnvironment,
            runDirectory: environment.runDirectory)
        try await startNoticeWorker()
        eligibilityWorker = try ManagedProcess(
            name: "eligibility-worker", executable: environment.binDirectory.appendingPathComponent("talent-worker"),
            arguments: [JobKind.eligibilityCheck.rawValue], environment: processEnvironment,
            runDirectory: environment.runDirectory)
        try await waitUntilReady()
    }

    /// Starts the notice worker (again, after ``stopNoticeWorker(signal:)``); `chunkSize` units per
    /// fan-out chunk (`TALENT_NOTICE_CHUNK_SIZE`, default 50,000).
    public func startNoticeWorker(chunkSize: Int? = nil) async throws {
        var processEnvironment = environment.processEnvironment()
        if let chunkSize { processEnvironment["TALENT_NOTICE_CHUNK_SIZE"] = String(chunkSize) }
        noticeWorker = try ManagedProcess(
            name: "notice-worker", executable: environment.binDirectory.appendingPathComponent("talent-worker"),
            arguments: [JobKind.noticeFanout.rawValue], environment: processEnvironment,
            runDirectory: environment.runDirectory)
    }

    /// Stops the notice worker with `signal`; returns its exit status.
    @discardableResult
    public func stopNoticeWorker(signal: Int32) async -> Int32? {
        guard let worker = noticeWorker else { return nil }
        noticeWorker = nil
        return await worker.stop(signal: signal)
    }

    /// Starts one more attachment worker.
    public func startWorker() async throws {
        workerCount += 1
        workers.append(
            try ManagedProcess(
                name: "worker-\(workerCount)",
                executable: environment.binDirectory.appendingPathComponent("talent-worker"),
                arguments: [JobKind.attachmentValidation.rawValue], environment: environment.processEnvironment(),
                runDirectory: environment.runDirectory))
    }

    /// Kills every worker with `signal` and forgets them; returns their exit statuses.
    @discardableResult
    public func stopWorkers(signal: Int32) async -> [Int32] {
        var statuses: [Int32] = []
        for worker in workers { statuses.append(await worker.stop(signal: signal)) }
        workers.removeAll()
        return statuses
    }

    public func stopAll() async {
        await stopWorkers(signal: SIGTERM)
        await associationWorker?.stop()
        associationWorker = nil
        await profileWorker?.stop()
        profileWorker = nil
        await noticeWorker?.stop()
        noticeWorker = nil
        await eligibilityWorker?.stop()
        eligibilityWorker = nil
        await gateway?.stop()
        gateway = nil
    }

    public nonisolated var baseURL: URL { URL(string: "http://127.0.0.1:\(environment.httpPort)")! }

    /// A client acting as `unit`, with a freshly minted development token.
    public func client(unit: UnifiedSocialCreditCode, lifetime: TimeInterval = 3600) async throws -> GatewayClient {
        guard let issuer else { throw TestEnvironment.Missing(variable: "issuer (start() first)") }
        return GatewayClient(baseURL: baseURL, token: try await issuer.mint(unit: unit.rawValue, lifetime: lifetime))
    }

    /// A client acting as the personal-edition portal (service token with the association-requests scope).
    public func serviceClient(
        scope: String = ServiceTokenVerifier.associationRequestsScope, name: String = "personal-portal"
    ) async throws -> GatewayClient {
        guard let serviceIssuer else { throw TestEnvironment.Missing(variable: "service issuer (start() first)") }
        return GatewayClient(
            baseURL: baseURL, token: try await serviceIssuer.mintService(service: name, scope: scope))
    }

    /// Completes `unit`'s profile through the gateway (attachments, the four steps, the submission
    /// and its job) unless it is complete; returns its usable association code.
    public func completeProfile(unit: UnifiedSocialCreditCode) async throws -> String {
        let home = try await ProfileCompletion(unit: try await client(unit: unit)).completeIfNeeded(
            name: "测试单位\(unit.rawValue.suffix(4))",
            seed: UInt64(unit.rawValue.unicodeScalars.reduce(0) { $0 + Int($1.value) }))
        guard let code = home.associationCode else {
            throw TestEnvironment.Missing(variable: "an association code once the profile is complete")
        }
        return code
    }

    /// Replaces the issuer's signing key (``DevelopmentIssuer/rotate(keepPrevious:)``); the gateway
    /// sees the new key set at its next reload (`TALENT_JWKS_REFRESH_SECONDS`, 1 s in tests).
    public func rotateIssuer(keepPrevious: Bool) async throws {
        guard let issuer else { throw TestEnvironment.Missing(variable: "issuer (start() first)") }
        self.issuer = try await issuer.rotate(keepPrevious: keepPrevious)
    }

    /// A token signed by the development issuer (for authentication tests).
    public func token(
        unit: String, lifetime: TimeInterval = 3600, operatorId: String = "operator-1",
        loginMethod: LoginMethod = .certificate
    ) async throws -> String {
        guard let issuer else { throw TestEnvironment.Missing(variable: "issuer (start() first)") }
        return try await issuer.mint(
            unit: unit, operatorId: operatorId, loginMethod: loginMethod, lifetime: lifetime)
    }

    private func waitUntilReady() async throws {
        let client = GatewayClient(baseURL: baseURL, token: "")
        for _ in 0..<300 {
            if let reply = try? await client.send("GET", "/health/ready", authorised: false), reply.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestEnvironment.Missing(variable: "a ready gateway (see \(environment.runDirectory.path)/gateway.log)")
    }
}

/// Fixtures: valid, invented identifiers.
public enum Fixtures {
    /// The `n`-th test unit: a valid unified social credit code (GB 32100-2015) whose organisation
    /// body encodes `n` and `salt`.
    public static func unit(_ n: Int, salt: String = "T") -> UnifiedSocialCreditCode {
        let digits = String(format: "%06d", n % 1_000_000)
        let body = String((salt + "Q" + digits).suffix(8))
        return UnifiedSocialCreditCode.make(organisationBody: body)!
    }
}
