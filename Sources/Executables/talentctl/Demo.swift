import AMQPClient
import ArgumentParser
import Foundation
import JobQueue
import PostgresClient
import ServiceConfiguration
import TalentClient
import TalentCore
import TalentGateway
import TalentStore

/// `talentctl demo associations`: loads a sample of association requests through the gateway and runs
/// a scripted portal session (approvals, rejections, a position update, a refused and a successful
/// unlink), printing what happened.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the association demo: a generated sample and a scripted portal session.")

    @Argument(help: "What to demonstrate: associations.")
    var what: String = "associations"

    @Option(help: "Gateway base URL.")
    var gateway: String = "http://127.0.0.1:\(ProcessInfo.processInfo.environment["TALENT_HTTP_PORT"] ?? "8080")"

    @Option(help: "Demo units (each gets the sample; the session runs for the first).")
    var units: Int = 3

    @Option(help: "Association requests per unit.")
    var requests: Int = 20

    @Option(help: "Seed of the generator (same seed, same people; default: the time, so reruns add new people).")
    var seed: UInt64 = UInt64(Date().timeIntervalSince1970)

    func run() async throws {
        guard what == "associations" else { throw ValidationError("only 'associations' is available") }
        guard units >= 1, requests >= 8 else { throw ValidationError("--units ≥ 1 and --requests ≥ 8") }
        let base = try URL(string: gateway).orThrow("bad --gateway")
        let issuer = try await DevelopmentIssuer.local()
        let service = GatewayClient(
            baseURL: base, token: try await DevelopmentIssuer.localServices().mintService(service: "personal-portal"))
        let environment = SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
        let pool = PostgresPool(configuration: environment.postgres(poolSize: 1))
        defer { pool.shutdown() }
        let store = AssociationStore(pool: pool)
        var population = DemoPopulation(seed: seed)
        print("generator seed \(seed)")
        for index in 0..<units {
            let unit = population.unit(index + 1)
            let client = GatewayClient(
                baseURL: base, token: try await issuer.mint(unit: unit.code.rawValue, unitName: unit.name))
            let demo = AssociationDemo(unit: client, service: service) { print($0) }
            let people = (0..<requests).map { _ in population.person() }
            print("== \(unit.name) (\(unit.code.rawValue))")
            if index == 0 {
                let approvals = (0..<(requests - 4)).map { _ in population.approval() }
                try await demo.runSession(people: people, approvals: approvals) { associationId in
                    try await store.recordApplication(
                        unitId: unit.code, associationId: associationId, service: "work_residence_permit",
                        status: "in_progress")
                }
            } else {
                let start = try await demo.summary()
                _ = try await demo.submitRequests(people, code: start.code)
                try await demo.waitForCounts { pending, _ in pending >= start.pending + people.count }
                let counts = try await demo.summary()
                print("\(people.count) requests loaded: pending \(counts.pending), employees \(counts.active)")
            }
        }
    }
}

/// `talentctl bench decisions`: decision throughput through gateway, broker, worker and database.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure association-decision throughput (jobs per second), end to end.")

    @Argument(help: "What to measure: decisions.")
    var what: String = "decisions"

    @Option(help: "Gateway base URL.")
    var gateway: String = "http://127.0.0.1:\(ProcessInfo.processInfo.environment["TALENT_HTTP_PORT"] ?? "8080")"

    @Option(help: "Approvals to send (each on its own pending request).")
    var count: Int = 1000

    @Option(help: "Requests in flight at once.")
    var concurrency: Int = 16

    @Option(help: "Seed (a new unit per seed keeps runs independent).")
    var seed: UInt64 = UInt64(Date().timeIntervalSince1970)

    @Flag(
        help:
            "Publish the approval jobs straight to the broker (outbox row + confirmed publish, as the gateway does) to measure the workers without the HTTP gateway."
    )
    var direct = false

    func run() async throws {
        guard what == "decisions", count >= 1, concurrency >= 1 else {
            throw ValidationError("bench decisions --count N")
        }
        let base = try URL(string: gateway).orThrow("bad --gateway")
        var population = DemoPopulation(seed: seed)
        let unit = population.unit(Int(seed % 900_000) + 100)
        let client = GatewayClient(
            baseURL: base,
            token: try await DevelopmentIssuer.local().mint(unit: unit.code.rawValue, unitName: unit.name))
        let service = GatewayClient(
            baseURL: base, token: try await DevelopmentIssuer.localServices().mintService(service: "personal-portal"))
        let demo = AssociationDemo(unit: client, service: service) { print($0) }
        let people = (0..<count).map { _ in population.person() }
        print("preparing \(count) pending requests for \(unit.code.rawValue)…")
        let approval = population.approval()
        let result =
            direct
            ? try await Self.direct(
                demo: demo, unit: unit.code, people: people, approval: approval, concurrency: concurrency)
            : try await demo.benchmarkApprovals(people: people, approval: approval, concurrency: concurrency)
        print(
            String(
                format: "decisions: %d approvals applied in %.2f s = %.1f jobs/s (concurrency %d)", count,
                result.seconds,
                result.perSecond, concurrency))
    }
}

extension Bench {
    /// Prepares the requests through the gateway, then stores and publishes one approval job per
    /// request directly; the clock runs from the first publish until the unit's counts show them all
    /// active (the workers' throughput, the broker and the database included).
    static func direct(
        demo: AssociationDemo, unit: UnifiedSocialCreditCode, people: [PersonProfile], approval: ApprovalForm,
        concurrency: Int
    ) async throws -> (seconds: Double, perSecond: Double) {
        let start = try await demo.summary()
        let ids = try await demo.submitRequests(people, code: start.code, concurrency: concurrency)
        try await demo.waitForCounts { pending, _ in pending >= start.pending + people.count }
        let environment = SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
        let pool = PostgresPool(configuration: environment.postgres(poolSize: 4))
        defer { pool.shutdown() }
        let jobs = JobStore(pool: pool)
        let connection = AMQPConnection(configuration: environment.amqp(connectionName: "talentctl bench"))
        let envelopes = try ids.map { id in
            try JobEnvelope(
                AssociationDecisionJob(
                    jobId: UUID(), unitId: unit, associationId: id, actor: "bench", requestedAt: Date(),
                    decision: .approve(approval)))
        }
        for (id, envelope) in zip(ids, envelopes) {
            _ = try await pool.transaction { connection in
                try JobStore.insert(envelope, subjectId: id, on: connection)
            }
        }
        let clock = ContinuousClock()
        let began = clock.now
        let publisher = JobPublisher(connection: connection, jobs: jobs, confirmTimeout: .seconds(30))
        _ = try await demo.forEach(envelopes, concurrency: 64) { envelope in try await publisher.publish(envelope) }
        try await demo.waitForCounts { _, active in active >= start.active + ids.count }
        let elapsed = clock.now - began
        await connection.close()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (seconds, Double(ids.count) / seconds)
    }
}

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw ValidationError(message) }
        return self
    }
}
