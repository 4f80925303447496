import Foundation
import PostgresClient
import TalentAPI
import TalentClient
import TalentCore
import TalentGateway
import TalentStore
import TalentTestSupport
import Testing

/// Restricted services, their inputs and business in progress (manual §4, §7) through the real
/// gateway, eligibility, profile and association workers.
@Suite("Eligibility and business in progress")
struct EligibilityAPITests {
    static func creditSystem() async throws -> GatewayClient {
        try await SharedSystem.instance.get().serviceClient(
            scope: ServiceTokenVerifier.creditListScope, name: "credit-system")
    }

    static func registry() async throws -> GatewayClient {
        try await SharedSystem.instance.get().serviceClient(
            scope: ServiceTokenVerifier.registrationChangesScope, name: "market-registry")
    }

    static func decision(_ list: ServiceList, _ service: RestrictedService) -> ServiceList.Entry? {
        list.services.first { $0.service == service.rawValue }
    }

    static func codes(_ list: ServiceList, _ service: RestrictedService) -> [EligibilityReason.Code] {
        decision(list, service)?.reasons.map(\.code) ?? []
    }

    /// Submits the unit's profile again (a new office address): the filing of registration changes.
    static func resubmitProfile(_ client: GatewayClient) async throws {
        let profile = try #require(
            try await client.send("GET", "/v1/unit/profile").decode(UnitProfileView.self).profile)
        var general = try #require(profile.generalInformation)
        general.officeAddress = "北京市海淀区变更后路\(Int.random(in: 1...999))号"
        let completion = ProfileCompletion(unit: client)
        try await completion.saveAccepted(.generalInformation, general)
        #expect(try await completion.submit().status == .succeeded)
    }

    @Test func restrictedServicesFollowTheirInputs() async throws {
        let system = try await SharedSystem.instance.get()
        let unit = Fixtures.unit(1, salt: "E")
        let client = try await system.client(unit: unit)

        // Never evaluated: restricted as profile_incomplete, attachment management open.
        let first = try await client.services()
        #expect(!first.associationCode.isEmpty)
        for service in RestrictedService.allCases {
            #expect(Self.codes(first, service) == [.profileIncomplete])
            #expect(Self.decision(first, service)?.status == .restricted)
        }
        #expect(first.services.last?.service == "attachment_management")
        #expect(first.services.last?.status == .allowed)

        _ = try await system.completeProfile(unit: unit)
        let complete = try await client.services()
        for service in RestrictedService.allCases {
            #expect(Self.decision(complete, service)?.status == .allowed, "\(service)")
            #expect(Self.decision(complete, service)?.ruleSetVersion ?? 0 >= 1)
            #expect(Self.decision(complete, service)?.decidedAt != nil)
        }

        // A registration change 40 days ago, not filed (the profile was last submitted 90 days ago): the
        // permit is suspended, not talent introduction.
        _ = try await system.rows(
            "UPDATE units SET profile_submitted_at = now() - interval '90 days' WHERE id = $1", [unit.rawValue])
        let changedOn = CalendarDate.today(now: Date().addingTimeInterval(-40 * 86_400))
        let reported = try await Self.registry().reportEligibilityInput(
            "/v1/service/registration-changes",
            json: RegistrationChangeReport(changes: [.init(unitId: unit.rawValue, changedOn: "\(changedOn)")]))
        #expect(reported.status == .succeeded)
        var list = try await client.services()
        #expect(Self.codes(list, .workResidencePermit) == [.changeNotFiled])
        #expect(Self.codes(list, .talentIntroduction) == [])

        // Listed on the credit restriction list: both, every reason at once, and a system prompt.
        let listed = try await Self.creditSystem().reportEligibilityInput(
            "/v1/service/credit-list", json: CreditListUpdate(added: [unit.rawValue], reason: "测试"))
        #expect(listed.status == .succeeded)
        list = try await client.services()
        #expect(Self.codes(list, .workResidencePermit) == [.creditRestricted, .changeNotFiled])
        #expect(Self.codes(list, .talentIntroduction) == [.creditRestricted])
        let prompts = try await client.send("GET", "/v1/prompts").decode(Page<PromptItem>.self).items
        #expect(
            prompts.map(\.id).contains("service_restricted:work_residence_permit:credit_restricted+change_not_filed"))

        // A handler maintenance is no filing; the unit's profile submission is: that reason disappears;
        // unlisted, the services are allowed again.
        let handler = try #require(
            try await client.send("GET", "/v1/unit/profile").decode(UnitProfileView.self).profile?.businessHandler)
        let maintained = try await client.send("PUT", "/v1/unit/handler", json: handler)
        #expect(maintained.status == 202)
        _ = try await client.finishedJob(try maintained.decode(UnitJobAccepted.self).job.id)
        #expect(Self.codes(try await client.services(), .workResidencePermit) == [.creditRestricted, .changeNotFiled])
        try await Self.resubmitProfile(client)
        list = try await client.services()
        #expect(Self.codes(list, .workResidencePermit) == [.creditRestricted])
        _ = try await Self.creditSystem().reportEligibilityInput(
            "/v1/service/credit-list", json: CreditListUpdate(removed: [unit.rawValue]))
        list = try await client.services()
        #expect(list.services.allSatisfy { $0.status == .allowed && $0.reasons.isEmpty })
        let after = try await client.send("GET", "/v1/prompts").decode(Page<PromptItem>.self).items
        #expect(!after.contains { $0.kind == .serviceRestricted })
    }

    /// A credit-list update recomputes the units it names and no other.
    @Test func aCreditListUpdateTouchesOnlyItsUnits() async throws {
        let system = try await SharedSystem.instance.get()
        let listed = Fixtures.unit(2, salt: "E")
        let bystander = Fixtures.unit(3, salt: "E")
        for unit in [listed, bystander] { _ = try await system.completeProfile(unit: unit) }
        let query = "SELECT decided_at::text AS at FROM unit_eligibility WHERE unit_id = $1 ORDER BY service"
        let before = try await system.rows(query, [bystander.rawValue]).rows.map { try $0.string("at") }
        let job = try await Self.creditSystem().reportEligibilityInput(
            "/v1/service/credit-list", json: CreditListUpdate(added: [listed.rawValue]))
        #expect(job.status == .succeeded)
        #expect(
            Self.codes(try await system.client(unit: listed).services(), .workResidencePermit) == [.creditRestricted])
        #expect(try await system.rows(query, [bystander.rawValue]).rows.map { try $0.string("at") } == before)
        // Listing again changes nothing; a unit never seen is listed for when it appears.
        let unseen = Fixtures.unit(4, salt: "E")
        let again = try await Self.creditSystem().reportEligibilityInput(
            "/v1/service/credit-list", json: CreditListUpdate(added: [listed.rawValue, unseen.rawValue]))
        #expect(again.status == .succeeded)
        let rows = try await system.rows(
            "SELECT unit_id FROM credit_restrictions WHERE unit_id IN ($1, $2)", [listed.rawValue, unseen.rawValue])
        #expect(rows.rows.count == 2)
    }

    /// The in-progress list (empty state, then one item), reports out of order, and the permit holders
    /// the holder limit counts: approved permits of current employees only.
    @Test func businessItemsInProgressAndPermitHolders() async throws {
        let system = try await SharedSystem.instance.get()
        let unit = try await AssociationAPITests.unit(40)
        let empty = try await unit.client.businessItemsInProgress()
        #expect(empty.empty && empty.total == 0 && empty.items.isEmpty)
        #expect(empty.emptyMessage == "没有正在办理中的业务")

        var population = DemoPopulation(seed: 40)
        let person = population.person()
        let id = try #require(try await AssociationAPITests.request([person], to: unit).first)
        let approved = try await AssociationAPITests.decide(
            unit, "POST", "/v1/association-requests/\(id.uuidString.lowercased())/approval", population.approval())
        #expect(approved.job?.status == .succeeded)

        let reference = try await BusinessItemFixture.putInProgress(associationId: id, service: .workResidencePermit)
        let one = try await unit.client.businessItemsInProgress()
        #expect(!one.empty && one.total == 1 && one.emptyMessage == nil)
        #expect(one.items.first?.reference == reference)
        #expect(one.items.first?.employee?.name == person.name)
        #expect(one.items.first?.employee?.residentIdMasked.contains("*") == true)
        #expect(one.items.first?.statusLabel == "办理中")

        // A report older than the stored one is ignored.
        try await BusinessItemFixture.report(
            reference, unitId: unit.id.rawValue, status: .withdrawn, residentId: person.residentId,
            updatedAt: Date().addingTimeInterval(-3_600))
        #expect(try await unit.client.businessItemsInProgress().total == 1)

        func holders() async throws -> Int {
            try await system.pool.transaction { connection in
                try EligibilityStore.facts(of: [unit.id.rawValue], on: connection).first?.facts.permitHolders ?? -1
            }
        }
        #expect(try await holders() == 0, "in progress is not held")
        try await BusinessItemFixture.report(
            reference, unitId: unit.id.rawValue, status: .approved, residentId: person.residentId)
        #expect(try await unit.client.businessItemsInProgress().empty)
        #expect(try await holders() == 1)
        let unlinked = try await AssociationAPITests.decide(
            unit, "POST", "/v1/employees/\(id.uuidString.lowercased())/unlink",
            UnlinkForm(leaveDate: CalendarDate.today(), reason: "离职"))
        #expect(unlinked.job?.status == .succeeded)
        #expect(try await holders() == 0, "a former employee holds no permit through the unit")
    }

    /// Two sweepers of one day share it: together they recompute each unit once, and the day completes.
    @Test func theDailySweepRunsOnceAcrossReplicas() async throws {
        let system = try await SharedSystem.instance.get()
        let store = EligibilityStore(pool: system.pool)
        let day = CalendarDate(year: 2001, month: 2, day: 3)!
        try await store.restartSweep(day: day)
        let decided = Fixtures.unit(6, salt: "E")
        _ = try await system.completeProfile(unit: decided)
        let count = "SELECT count(*) AS n FROM units"
        let before = try await system.rows(count, []).rows[0].int("n") ?? 0
        async let first = store.sweep(day: day, chunkSize: 97)
        async let second = store.sweep(day: day, chunkSize: 97)
        let shares = try await [first, second]
        let after = try await system.rows(count, []).rows[0].int("n") ?? 0
        let status = try #require(try await store.sweepStatus(day: day))
        #expect(status.completedAt != nil)
        #expect(shares.filter(\.completed).count == 1, "one of them finished the day")
        #expect(shares.map(\.units).reduce(0, +) == status.units, "no unit was swept twice")
        #expect((before...after).contains(status.units))
        // A finished day is not swept again, and a day before the decisions' replaced none of them.
        #expect(try await store.sweep(day: day, chunkSize: 97).units == 0)
        let kept = try await system.rows(
            "SELECT DISTINCT evaluated_on::text AS day FROM unit_eligibility WHERE unit_id = $1", [decided.rawValue])
        #expect(try kept.rows.map { try $0.requiredString("day") } == [CalendarDate.today().description])
    }

    /// Time passing changes no input, so no job recomputes: the day's sweep catches a qualification
    /// whose last valid day has passed (here set back in the stored profile, standing in for the
    /// calendar), whichever replica — this test or the eligibility worker — runs the chunk.
    @Test func theSweepCatchesAnExpiredQualification() async throws {
        let system = try await SharedSystem.instance.get()
        let unit = Fixtures.unit(7, salt: "E")
        _ = try await system.completeProfile(unit: unit)
        let client = try await system.client(unit: unit)
        #expect(try await client.services().services.allSatisfy { $0.status == .allowed })
        let yesterday = CalendarDate.today(now: Date().addingTimeInterval(-86_400))
        _ = try await system.rows(
            """
            UPDATE units SET profile = jsonb_set(profile, '{qualifications,items,0,validUntil}', to_jsonb($2::text))
            WHERE id = $1
            """, [unit.rawValue, yesterday.description])
        #expect(Self.codes(try await client.services(), .workResidencePermit) == [], "stored until swept")
        let store = EligibilityStore(pool: system.pool)
        try await store.restartSweep(day: CalendarDate.today())
        _ = try await store.sweep(day: CalendarDate.today(), chunkSize: 5_000)
        let swept = try await eventually(timeout: .seconds(60)) {
            try await store.sweepStatus(day: CalendarDate.today())?.completedAt != nil
        }
        #expect(swept)
        let list = try await client.services()
        #expect(Self.codes(list, .workResidencePermit) == [.qualificationExpired])
        #expect(Self.codes(list, .talentIntroduction) == [.qualificationExpired])
    }

    @Test func badReportsAreRefusedWithEveryField() async throws {
        let credit = try await Self.creditSystem()
        func fields(_ reply: GatewayClient.Reply) -> [String] { ProfileCompletion.problems(reply).map(\.field) }
        let unit = Fixtures.unit(5, salt: "E").rawValue
        var reply = try await credit.send("POST", "/v1/service/credit-list", json: CreditListUpdate())
        #expect(reply.status == 400 && fields(reply) == ["added"])
        reply = try await credit.send(
            "POST", "/v1/service/credit-list",
            json: CreditListUpdate(added: ["91110000X00000000X", unit], removed: [unit], reason: ""))
        #expect(reply.status == 400)
        #expect(fields(reply) == ["added[0]", "removed", "reason"])
        let tomorrow = CalendarDate.today(now: Date().addingTimeInterval(2 * 86_400))
        reply = try await Self.registry().send(
            "POST", "/v1/service/registration-changes",
            json: RegistrationChangeReport(changes: [
                .init(unitId: unit, changedOn: "\(tomorrow)"), .init(unitId: "x", changedOn: "2026-01-01"),
            ]))
        #expect(reply.status == 400 && fields(reply) == ["changes[0].changedOn", "changes[1].unitId"])
        reply = try await BusinessItemFixture.permitSystem().send(
            "POST", "/v1/service/business-items",
            json: BusinessItemReport(items: [
                .init(
                    reference: "has space", unitId: unit, service: .talentIntroduction, status: .inProgress,
                    residentId: "110105194912310020", title: "", updatedAt: "yesterday")
            ]))
        #expect(reply.status == 400 && fields(reply) == ["items[0].updatedAt"])
        reply = try await BusinessItemFixture.permitSystem().send(
            "POST", "/v1/service/business-items",
            json: BusinessItemReport(items: [
                .init(
                    reference: "has space", unitId: unit, service: .talentIntroduction, status: .inProgress,
                    residentId: "110105194912310020", title: "", updatedAt: "2026-12-01T08:00:00Z")
            ]))
        #expect(
            reply.status == 400
                && fields(reply) == ["items[0].reference", "items[0].title", "items[0].residentId"])
        reply = try await BusinessItemFixture.permitSystem().send(
            "POST", "/v1/service/business-items",
            json: BusinessItemReport(items: [
                .init(
                    reference: "R1", unitId: unit, service: .talentIntroduction, status: .inProgress,
                    title: "标题\u{0}", updatedAt: "2026-12-01T08:00:00Z"),
                .init(
                    reference: "R2", unitId: unit, service: .talentIntroduction, status: .inProgress,
                    updatedAt: "2099-01-01T00:00:00Z"),
            ]))
        #expect(reply.status == 400)
        #expect(ProfileCompletion.problems(reply).map(\.code) == ["control_characters", "invalid_value"])
        reply = try await BusinessItemFixture.permitSystem().send(
            "POST", "/v1/service/business-items", json: BusinessItemReport(items: []))
        #expect(reply.status == 400 && fields(reply) == ["items"])
        let many = (0...EligibilityJob.maximumItems).map { index in
            BusinessItemReport.Item(
                reference: "R\(index)", unitId: unit, service: .talentIntroduction, status: .inProgress,
                updatedAt: "2026-12-01T08:00:00Z")
        }
        reply = try await BusinessItemFixture.permitSystem().send(
            "POST", "/v1/service/business-items", json: BusinessItemReport(items: many))
        #expect(reply.status == 400 && ProfileCompletion.problems(reply).map(\.code) == ["too_many"])
    }
}
