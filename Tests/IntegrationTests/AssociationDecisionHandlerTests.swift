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
        _ unit: UnifiedSocialCreditCode, _ association: UUID, _ decision: AssociationDecision, store: JobStore
    ) async throws -> AssociationDecisionJob {
        let job = AssociationDecisionJob(
            jobId: UUID(), unitId: unit, associationId: association, actor: "test", requestedAt: Date(),
            decision: decision)
        let system = try await SharedSystem.instance.get()
        _ = try await system.pool.transaction { connection in
            try UnitStore.register(unit, name: nil, on: connection)
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
            try await associations.recordApplication(
                unitId: unitA, associationId: id, service: "talent_introduction", status: "in_progress")
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
