import ArgumentParser
import Foundation
import PostgresClient
import ServiceConfiguration
import TalentAPI
import TalentClient
import TalentCore
import TalentGateway

/// `talentctl demo eligibility` (manual §4, §7): a new unit's service list is restricted while its
/// profile is incomplete and allowed once complete; with the demo's clock set back (the profile last
/// submitted 90 days ago, written straight to the database) the registration authority reports a
/// change of the unit 40 days ago and the credit system lists the unit, and the list shows every reason (with
/// the system prompt); the unit files the change by submitting its profile again and the credit
/// system unlists it, and the reasons disappear one by one; the unit's in-progress list goes from its
/// empty state to the one item the permit system reports.
extension Demo {
    func eligibility() async throws {
        let base = try URL(string: gateway).orThrow("bad --gateway")
        try await Reachability.require(.gateway(base), environment: nil)
        let issuer = try await DevelopmentIssuer.local()
        let services = try await DevelopmentIssuer.localServices()
        func service(_ name: String, _ scope: String) async throws -> GatewayClient {
            GatewayClient(baseURL: base, token: try await services.mintService(service: name, scope: scope))
        }
        let creditSystem = try await service("credit-system", ServiceTokenVerifier.creditListScope)
        let registry = try await service("market-registry", ServiceTokenVerifier.registrationChangesScope)
        let permitSystem = try await service("permit-system", ServiceTokenVerifier.businessItemsScope)
        var population = DemoPopulation(seed: seed)
        let unit = population.unit(Int(seed % 100_000) + 400)
        let client = GatewayClient(
            baseURL: base, token: try await issuer.mint(unit: unit.code.rawValue, unitName: unit.name))
        print("== \(unit.name) (\(unit.code.rawValue)) logs in for the first time")
        try await printServices(client)
        let empty = try await client.businessItemsInProgress()
        print("business in progress: \(empty.empty ? "「\(empty.emptyMessage ?? "")」" : "\(empty.total) item(s)")")

        print("== \(unit.name) completes its profile")
        _ = try await ProfileCompletion(unit: client).completeIfNeeded(name: unit.name, seed: seed)
        try await printServices(client)

        // The demo's clock: the profile was last submitted 90 days ago (a unit of some standing).
        let environment = SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
        let pool = PostgresPool(configuration: environment.postgres(poolSize: 1))
        defer { pool.shutdown() }
        _ = try await pool.withConnection { connection in
            try connection.query(
                "UPDATE units SET profile_submitted_at = now() - interval '90 days' WHERE id = $1", [unit.code.rawValue]
            )
        }
        print("(demo clock: the unit's profile was last submitted 90 days ago)")
        let changedOn = CalendarDate.today(now: Date().addingTimeInterval(-40 * 86_400))
        print("== the market registry reports a change of the unit's registration on \(changedOn)")
        _ = try await registry.reportEligibilityInput(
            "/v1/service/registration-changes",
            json: RegistrationChangeReport(changes: [.init(unitId: unit.code.rawValue, changedOn: "\(changedOn)")]))
        print("== the credit system lists the unit")
        _ = try await creditSystem.reportEligibilityInput(
            "/v1/service/credit-list", json: CreditListUpdate(added: [unit.code.rawValue], reason: "未履行行政处罚决定"))
        try await printServices(client)
        let home = try await client.send("GET", "/v1/home").decode(HomeNotices.self)
        for prompt in home.prompts where prompt.kind == .serviceRestricted {
            print("  system prompt: \(prompt.message)")
        }

        print("== \(unit.name) files the change: it submits its profile again with the new office address")
        var forms = DemoPopulation(seed: seed)
        var (general, _, _) = ProfileCompletion.forms(name: unit.name, population: &forms)
        general.officeAddress = "北京市海淀区中关村南大街5号（变更后）"
        let completion = ProfileCompletion(unit: client) { print($0) }
        try await completion.saveAccepted(.generalInformation, general)
        let filed = try await completion.submit()
        guard filed.status == .succeeded else {
            throw ValidationError("the submission was refused: \(filed.errorCode ?? "") \(filed.errorDetail ?? "")")
        }
        try await printServices(client)
        print("== the credit system takes the unit off its list")
        _ = try await creditSystem.reportEligibilityInput(
            "/v1/service/credit-list", json: CreditListUpdate(removed: [unit.code.rawValue]))
        let after = try await printServices(client)
        guard after.services.allSatisfy({ $0.status == .allowed }) else {
            throw ValidationError("a service is still restricted after every reason was fixed")
        }

        print("== the permit system reports an application of the unit in progress")
        let job = try await permitSystem.reportEligibilityInput(
            "/v1/service/business-items",
            json: BusinessItemReport(items: [
                .init(
                    reference: "WRP-\(unit.code.rawValue.suffix(6))-1", unitId: unit.code.rawValue,
                    service: .workResidencePermit, status: .inProgress, title: "工作居住证新办",
                    updatedAt: Date().formatted(.iso8601))
            ]))
        let list = try await client.businessItemsInProgress()
        print("business in progress (job \(job.status.rawValue)): \(list.total) item(s)")
        for item in list.items {
            print("  \(item.serviceName) \(item.title ?? "") — \(item.statusLabel) since \(item.updatedAt)")
        }
        guard empty.empty, list.total == 1 else {
            throw ValidationError("the in-progress list went from \(empty.total) to \(list.total) items, not 0 → 1")
        }
    }

    /// Prints the unit's service list: each service allowed, or restricted with every reason.
    @discardableResult
    func printServices(_ client: GatewayClient) async throws -> ServiceList {
        let list = try await client.services()
        print("services (association code \(list.associationCode)):")
        for entry in list.services {
            let version = entry.ruleSetVersion.map { ", rule set v\($0)" } ?? ""
            print("  \(entry.name)\t\(entry.status.rawValue)\(version)")
            for reason in entry.reasons { print("    \(reason.code.rawValue): \(reason.message)") }
        }
        return list
    }
}
