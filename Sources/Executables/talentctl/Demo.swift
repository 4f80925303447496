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
        try await Reachability.require(.gateway(base), environment: nil)
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
            // First login creates the unit with its profile incomplete; the first unit shows a step
            // refused with its reasons before it is fixed.
            _ = try await ProfileCompletion(unit: client) { print($0) }.completeIfNeeded(
                name: unit.name, seed: seed &+ UInt64(index), showRefusal: index == 0)
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

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw ValidationError(message) }
        return self
    }
}
