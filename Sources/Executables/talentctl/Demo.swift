import ArgumentParser
import Foundation
import TalentAPI
import TalentClient
import TalentCore
import TalentGateway

/// `talentctl demo associations`: each demo unit's first login and profile completion (a step refused
/// with its reasons, then fixed; the submission; the association code usable), then a sample of
/// association requests through the gateway and a scripted portal session (approvals, rejections, a
/// position update, a refused and a successful unlink), printing what happened.
///
/// `talentctl demo key-rotation`: the development identity platform rotates its signing key without
/// keeping the old one; a token of the old key is refused `token_unknown_key` once the gateway has
/// reloaded the key set, and a token of the new key is accepted.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the association demo: a generated sample and a scripted portal session.")

    @Argument(help: "What to demonstrate: associations, key-rotation, notices, eligibility.")
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
        if what == "key-rotation" { return try await keyRotation() }
        if what == "notices" { return try await notices() }
        if what == "eligibility" { return try await eligibility() }
        guard what == "associations" else {
            throw ValidationError("what: associations, key-rotation, notices or eligibility")
        }
        guard units >= 1, requests >= 8 else { throw ValidationError("--units ≥ 1 and --requests ≥ 8") }
        let base = try URL(string: gateway).orThrow("bad --gateway")
        try await Reachability.require(.gateway(base), environment: nil)
        let issuer = try await DevelopmentIssuer.local()
        let service = GatewayClient(
            baseURL: base, token: try await DevelopmentIssuer.localServices().mintService(service: "personal-portal"))
        let permitSystem = GatewayClient(
            baseURL: base,
            token: try await DevelopmentIssuer.localServices().mintService(
                service: "permit-system", scope: ServiceTokenVerifier.businessItemsScope))
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
                    // The permit system reports an application in progress for the employee: the
                    // business item the unlink pre-check reads.
                    let employee = try await client.send(
                        "GET", "/v1/employees/\(associationId.uuidString.lowercased())"
                    )
                    .decode(EmployeeDetail.self)
                    _ = try await permitSystem.reportEligibilityInput(
                        "/v1/service/business-items",
                        json: BusinessItemReport(items: [
                            .init(
                                reference: "WRP-\(associationId.uuidString.prefix(8))", unitId: unit.code.rawValue,
                                service: .workResidencePermit, status: .inProgress, residentId: employee.residentId,
                                title: "工作居住证新办（\(employee.name)）",
                                updatedAt: Date().formatted(.iso8601))
                        ]))
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

extension Demo {
    func keyRotation() async throws {
        let base = try URL(string: gateway).orThrow("bad --gateway")
        try await Reachability.require(.gateway(base), environment: nil)
        var population = DemoPopulation(seed: seed)
        let unit = population.unit(1)
        let issuer = try await DevelopmentIssuer.local()
        let old = GatewayClient(
            baseURL: base, token: try await issuer.mint(unit: unit.code.rawValue, unitName: unit.name))
        let before = try await old.send("GET", "/v1/unit")
        print("a token of key \(issuer.keyId): GET /v1/unit → \(before.status)")
        let rotated = try await issuer.rotate(keepPrevious: false)
        print("rotated: the JWKS publishes only \(rotated.publishedKeyIds.joined(separator: ", "))")
        let started = ContinuousClock.now
        let deadline = started.advanced(by: .seconds(60))
        var refused: GatewayClient.Reply?
        while ContinuousClock.now < deadline {
            let reply = try await old.send("GET", "/v1/unit")
            if reply.status == 401 {
                refused = reply
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        guard let refused, refused.errorCode == "token_unknown_key" else {
            throw ValidationError("the old key's token was not refused token_unknown_key within 60 s")
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "the old key's token: \(refused.status) \(refused.errorCode ?? "") after \(String(format: "%.1f", seconds)) s (the gateway reloads the JWKS every TALENT_JWKS_REFRESH_SECONDS)"
        )
        let new = GatewayClient(
            baseURL: base, token: try await rotated.mint(unit: unit.code.rawValue, unitName: unit.name))
        let after = try await new.send("GET", "/v1/unit")
        guard after.status == 200 else { throw ValidationError("the new key's token answered \(after.status)") }
        print("a token of key \(rotated.keyId): GET /v1/unit → \(after.status)")
    }
}

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw ValidationError(message) }
        return self
    }
}
