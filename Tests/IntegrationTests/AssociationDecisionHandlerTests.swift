import Foundation
import JobQueue
import JobWorker
import PostgresClient
import TalentClient
import TalentCore
import TalentJobs
import TalentStore
import TalentTestSupport
import Testing

/// The worker's write path against the real database, through the runtime's effect transaction:
/// every transition, refusals recorded on the job, redeliveries without effect, tenant re-checks,
/// batches.
@Suite("Association decision handler")
struct AssociationDecisionHandlerTests {
    func job(
        _ unit: UnifiedSocialCreditCode, _ association: UUID, _ decision: AssociationDecision, store: JobStore,
        profileComplete: Bool = true
    ) async throws -> AssociationDecisionJob {
        let job = AssociationDecisionJob(
            jobId: UUID(), unitId: unit, associationId: association, actor: "test", requestedAt: Date(),
            decision: decision)
        let system = try await SharedSystem.instance.get()
        _ = try await system.pool.transaction { connection in
            try UnitStore.register(unit, name: nil, on: connection)
            // A fixture: requests need a complete profile (the profile flow has its own tests).
            try connection.execute(
                prepared: "test_profile_status", "UPDATE units SET profile_status = $2 WHERE id = $1",
                [unit.rawValue, profileComplete ? "complete" : "incomplete"])
            return try JobStore.insert(try JobEnvelope(job), subjectId: association, on: connection)
        }
        return job
    }

    @Test func transitionsRefusalsAndRedeliveries() async throws {
        let system = try await SharedSystem.instance.get()
        let associations = AssociationStore(pool: system.pool)
        let jobs = JobStore(pool: system.pool)
        let decisions = Decisions(pool: system.pool)
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let unitA = Fixtures.unit(1, salt: "K")
        let unitB = Fixtures.unit(2, salt: "K")
        let person = population.person()
        let id = UUID()

        let request = try await job(unitA, id, .request(person), store: jobs)
        #expect(try await decisions.apply([request]) == [.applied])
        #expect(try await decisions.apply([request]) == [.alreadyProcessed])

        // Another unit's decision on A's request: refused as if the association did not exist.
        let foreign = try await job(unitB, id, .approve(population.approval()), store: jobs)
        let refusedForeign = try await decisions.apply([foreign])
        guard case .refused(let code, _) = refusedForeign[0] else {
            Issue.record("foreign decision applied: \(refusedForeign)")
            return
        }
        #expect(code == "not_found")
        #expect(try await jobs.job(id: foreign.jobId, unitId: unitB)?.status == .failed)
        #expect(try await associations.state(unitId: unitA, associationId: id) == .pending)

        // A second request for the same person while the first association is open.
        let duplicate = try await job(unitA, UUID(), .request(person), store: jobs)
        guard case .refused(let exists, _) = try await decisions.apply([duplicate])[0] else {
            Issue.record("duplicate request applied")
            return
        }
        #expect(exists == "already_exists")

        // Approve and reject in one batch: the first in lock order wins, the other is refused.
        let approve = try await job(unitA, id, .approve(population.approval()), store: jobs)
        let reject = try await job(unitA, id, .reject(RejectionForm(reason: "x")), store: jobs)
        let outcomes = try await decisions.apply([approve, reject])
        #expect(outcomes.filter { $0 == .applied }.count == 1)
        let now = try #require(try await associations.state(unitId: unitA, associationId: id))
        #expect(
            outcomes.contains(
                .refused(code: "not_pending", detail: "the request is no longer pending (it is \(now.rawValue))")))

        // The worker re-checks the unlink rules under the lock.
        if try await associations.state(unitId: unitA, associationId: id) == .active {
            try await BusinessItemFixture.putInProgress(associationId: id, service: .talentIntroduction)
            let unlink = try await job(
                unitA, id, .unlink(UnlinkForm(leaveDate: CalendarDate(year: 2030, month: 1, day: 1)!, reason: "离职")),
                store: jobs)
            guard case .refused(let blocked, let detail) = try await decisions.apply([unlink])[0] else {
                Issue.record("unlink applied despite an application in progress")
                return
            }
            #expect(blocked == "unlink_blocked")
            #expect(detail.contains("application_in_progress"))
            let record = try await jobs.job(id: unlink.jobId, unitId: unitA)
            #expect(record?.errorCode == "unlink_blocked")
            #expect(record?.errorDetail?.contains("application_in_progress") == true)
        }
        let detail = try #require(try await associations.employee(unitId: unitA, associationId: id))
        #expect(detail.history.count == 2)
        #expect(try await associations.employee(unitId: unitB, associationId: id) == nil)
    }

    /// One batch decides as the same jobs one by one would: approvals and rejections of distinct
    /// associations together, a second change to one association in the next round (it sees the first),
    /// a job id twice applied once, a foreign unit's approval refused, a bad form refused without
    /// touching its neighbours, a position update after an approval in the same batch.
    @Test func aBatchDecidesAsOneByOneWould() async throws {
        let system = try await SharedSystem.instance.get()
        let associations = AssociationStore(pool: system.pool)
        let jobs = JobStore(pool: system.pool)
        let decisions = Decisions(pool: system.pool)
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let unit = Fixtures.unit(5, salt: "K")
        let other = Fixtures.unit(6, salt: "K")
        var ids: [UUID] = []
        for _ in 0..<6 {
            let id = UUID()
            let request = try await job(unit, id, .request(population.person()), store: jobs)
            #expect(try await decisions.apply([request]) == [.applied])
            ids.append(id)
        }
        let approval = population.approval()
        let approveFirst = try await job(unit, ids[0], .approve(approval), store: jobs)
        let approveSecond = try await job(unit, ids[1], .approve(approval), store: jobs)
        let rejectThird = try await job(unit, ids[2], .reject(RejectionForm(reason: "名额已满")), store: jobs)
        let badForm = ApprovalForm(
            entryDate: approval.entryDate, position: "工程师",
            contract: LabourContract(kind: .fixedTerm, startDate: approval.entryDate))
        let approveBad = try await job(unit, ids[3], .approve(badForm), store: jobs)
        let foreign = try await job(other, ids[4], .approve(approval), store: jobs)
        let approveSixth = try await job(unit, ids[5], .approve(approval), store: jobs)
        let promote = try await job(
            unit, ids[5], .updatePosition(PositionUpdateForm(position: "高级工程师", contract: approval.contract)),
            store: jobs)
        let rejectSecond = try await job(unit, ids[1], .reject(RejectionForm(reason: "重复")), store: jobs)
        let batch = [
            approveFirst, approveSecond, rejectThird, approveBad, foreign, approveSixth, promote, approveFirst,
            rejectSecond,
        ]
        let outcomes = try await decisions.apply(batch)
        #expect(outcomes[0] == .applied)
        #expect(outcomes[1] == .applied)
        #expect(outcomes[2] == .applied)
        guard case .refused(let bad, _) = outcomes[3], case .refused(let notFound, _) = outcomes[4] else {
            Issue.record("refusals expected: \(outcomes)")
            return
        }
        #expect(bad == "invalid_form")
        #expect(notFound == "not_found")
        #expect(outcomes[5] == .applied)
        #expect(outcomes[6] == .applied)
        #expect(outcomes[7] == .alreadyProcessed)
        #expect(
            outcomes[8] == .refused(code: "not_pending", detail: "the request is no longer pending (it is active)"))
        let states = try await ids.asyncMap { try await associations.state(unitId: unit, associationId: $0) }
        #expect(states == [.active, .active, .rejected, .pending, .pending, .active])
        let promoted = try #require(try await associations.employee(unitId: unit, associationId: ids[5]))
        #expect(promoted.position == "高级工程师")
        #expect(promoted.history.map(\.action) == [.request, .approve, .updatePosition])
        #expect(try await jobs.job(id: approveBad.jobId, unitId: unit)?.status == .failed)
        #expect(try await jobs.job(id: approveFirst.jobId, unitId: unit)?.status == .succeeded)
        // A redelivery of the whole batch writes nothing.
        #expect(try await decisions.apply(batch).allSatisfy { $0 == .alreadyProcessed })
    }

    /// A request reads the person's other associations: in one batch it sees exactly what it would
    /// see one by one, in the batch's order (by association): here the person's pending request A is
    /// still open when the request for B (ordered first) is decided, so B is refused, then A rejected.
    @Test func aRequestInABatchSeesTheStateOneByOneWouldSee() async throws {
        let system = try await SharedSystem.instance.get()
        let jobs = JobStore(pool: system.pool)
        let decisions = Decisions(pool: system.pool)
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let unit = Fixtures.unit(7, salt: "K")
        let person = population.person()
        let pair = [UUID(), UUID()].sorted()
        let (b, a) = (pair[0], pair[1])
        let first = try await job(unit, a, .request(person), store: jobs)
        #expect(try await decisions.apply([first]) == [.applied])
        let reject = try await job(unit, a, .reject(RejectionForm(reason: "岗位已满")), store: jobs)
        let again = try await job(unit, b, .request(person), store: jobs)
        let outcomes = try await decisions.apply([reject, again])
        #expect(outcomes[0] == .applied)
        guard case .refused(let code, _) = outcomes[1] else {
            Issue.record("the request for B was applied although A was still open when it was decided")
            return
        }
        #expect(code == "already_exists")
    }

    /// A job the relay gave up on (`never_completed`) whose message arrives after all is applied once.
    @Test func aJobClosedAsNeverCompletedIsAppliedWhenItArrives() async throws {
        let system = try await SharedSystem.instance.get()
        let jobs = JobStore(pool: system.pool)
        let decisions = Decisions(pool: system.pool)
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let request = try await job(Fixtures.unit(4, salt: "K"), UUID(), .request(population.person()), store: jobs)
        _ = try await system.rows(
            "UPDATE jobs SET status = 'dead_lettered', error_code = 'never_completed' WHERE id = $1",
            [request.jobId.uuidString])
        #expect(try await decisions.apply([request]) == [.applied])
        #expect(try await decisions.apply([request]) == [.alreadyProcessed])
        let record = try await jobs.job(id: request.jobId, unitId: request.unitId)
        #expect(record?.status == .succeeded)
        #expect(record?.errorCode == nil)
    }

    @Test func invalidDataIsRefusedByTheWorkerToo() async throws {
        let system = try await SharedSystem.instance.get()
        let jobs = JobStore(pool: system.pool)
        let decisions = Decisions(pool: system.pool)
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        var person = population.person()
        person.residentId = "11010519491231002x"
        let bad = try await job(Fixtures.unit(3, salt: "K"), UUID(), .request(person), store: jobs)
        guard case .refused(let code, let detail) = try await decisions.apply([bad])[0] else {
            Issue.record("invalid request applied")
            return
        }
        #expect(code == "invalid_form")
        #expect(detail.contains("invalid_character"))
    }

    /// The worker re-checks what the gateway checked: a request for a unit whose profile is not
    /// complete is refused `unit_profile_incomplete`, and nothing is written.
    @Test func aRequestForAnIncompleteUnitIsRefused() async throws {
        let system = try await SharedSystem.instance.get()
        let jobs = JobStore(pool: system.pool)
        let decisions = Decisions(pool: system.pool)
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let unit = Fixtures.unit(8, salt: "K")
        let id = UUID()
        let request = try await job(unit, id, .request(population.person()), store: jobs, profileComplete: false)
        let results = try await decisions.apply([request])
        guard case .refused(let code, _) = results[0] else {
            Issue.record("a request for an incomplete unit was applied: \(results)")
            return
        }
        #expect(code == "unit_profile_incomplete")
        #expect(try await AssociationStore(pool: system.pool).state(unitId: unit, associationId: id) == nil)
    }
}

/// The association handler behind the runtime's effect transaction; results as refusals or states.
struct Decisions {
    let effects: JobEffects<AssociationDecisionHandler>

    init(pool: PostgresPool) {
        effects = JobEffects(handler: AssociationDecisionHandler(), pool: pool)
    }

    enum Result: Equatable {
        case applied
        case refused(code: String, detail: String)
        case alreadyProcessed
        case unknownJob
    }

    func apply(_ jobs: [AssociationDecisionJob]) async throws -> [Result] {
        try await effects.apply(jobs.map { Job(message: $0) }).map { application in
            switch application {
            case .applied(.succeeded): .applied
            case .applied(.refused(let code, let detail)): .refused(code: code, detail: detail)
            case .alreadyProcessed: .alreadyProcessed
            case .unknownJob: .unknownJob
            }
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
