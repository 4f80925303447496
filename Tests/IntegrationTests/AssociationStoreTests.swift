import Foundation
import PostgresClient
import TalentClient
import TalentCore
import TalentStore
import TalentTestSupport
import Testing

/// The worker's write path against the real database: every transition, refusals recorded on the
/// job, redeliveries without effect, tenant re-checks, batches.
@Suite("Association store")
struct AssociationStoreTests {
    let today = CalendarDate.today()

    func job(
        _ unit: UnifiedSocialCreditCode, _ association: UUID, _ decision: AssociationDecision, store: JobStore
    ) async throws -> AssociationDecisionJob {
        let job = AssociationDecisionJob(
            jobId: UUID(), unitId: unit, associationId: association, actor: "test", requestedAt: Date(),
            decision: decision)
        _ = try await store.insert(JobEnvelope(job), subjectId: association, unitName: nil)
        return job
    }

    @Test func transitionsRefusalsAndRedeliveries() async throws {
        let system = try await SharedSystem.instance.get()
        let associations = AssociationStore(pool: system.pool)
        let jobs = JobStore(pool: system.pool)
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let unitA = Fixtures.unit(1, salt: "K")
        let unitB = Fixtures.unit(2, salt: "K")
        let person = population.person()
        let id = UUID()

        let request = try await job(unitA, id, .request(person), store: jobs)
        #expect(try await associations.apply([request], today: today) == [.applied(.pending)])
        #expect(try await associations.apply([request], today: today) == [.alreadyProcessed])

        // Another unit's decision on A's request: refused as if the association did not exist.
        let foreign = try await job(unitB, id, .approve(population.approval()), store: jobs)
        let refusedForeign = try await associations.apply([foreign], today: today)
        guard case .refused(let refusal) = refusedForeign[0] else {
            Issue.record("foreign decision applied: \(refusedForeign)")
            return
        }
        #expect(refusal.code == .notFound)
        #expect(try await jobs.job(id: foreign.jobId, unitId: unitB)?.status == .failed)
        #expect(try await associations.state(unitId: unitA, associationId: id) == .pending)

        // A second request for the same person while the first association is open.
        let duplicate = try await job(unitA, UUID(), .request(person), store: jobs)
        guard case .refused(let exists) = try await associations.apply([duplicate], today: today)[0] else {
            Issue.record("duplicate request applied")
            return
        }
        #expect(exists.code == .alreadyExists)

        // Approve and reject in one batch: the first in lock order wins, the other is refused.
        let approve = try await job(unitA, id, .approve(population.approval()), store: jobs)
        let reject = try await job(unitA, id, .reject(RejectionForm(reason: "x")), store: jobs)
        let outcomes = try await associations.apply([approve, reject], today: today)
        #expect(outcomes.filter { if case .applied = $0 { true } else { false } }.count == 1)
        #expect(
            outcomes.contains(
                .refused(
                    AssociationRefusal(
                        .notPending,
                        "the request is no longer pending (it is \(try await associations.state(unitId: unitA, associationId: id)!.rawValue))"
                    ))))

        // The worker re-checks the unlink rules under the lock.
        if try await associations.state(unitId: unitA, associationId: id) == .active {
            try await associations.recordApplication(
                unitId: unitA, associationId: id, service: "talent_introduction", status: "in_progress")
            let unlink = try await job(
                unitA, id, .unlink(UnlinkForm(leaveDate: CalendarDate(year: 2030, month: 1, day: 1)!, reason: "离职")),
                store: jobs)
            guard case .refused(let blocked) = try await associations.apply([unlink], today: today)[0] else {
                Issue.record("unlink applied despite an application in progress")
                return
            }
            #expect(blocked.code == .unlinkBlocked)
            #expect(blocked.reasons.map(\.code) == [.applicationInProgress])
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
        let associations = AssociationStore(pool: system.pool)
        let jobs = JobStore(pool: system.pool)
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let request = try await job(Fixtures.unit(4, salt: "K"), UUID(), .request(population.person()), store: jobs)
        _ = try await system.rows(
            "UPDATE jobs SET status = 'dead_lettered', error_code = 'never_completed' WHERE id = $1",
            [request.jobId.uuidString])
        #expect(try await associations.apply([request], today: today) == [.applied(.pending)])
        #expect(try await associations.apply([request], today: today) == [.alreadyProcessed])
        let record = try await jobs.job(id: request.jobId, unitId: request.unitId)
        #expect(record?.status == .succeeded)
        #expect(record?.errorCode == nil)
    }

    @Test func invalidDataIsRefusedByTheWorkerToo() async throws {
        let system = try await SharedSystem.instance.get()
        let associations = AssociationStore(pool: system.pool)
        let jobs = JobStore(pool: system.pool)
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        var person = population.person()
        person.residentId = "11010519491231002x"
        let bad = try await job(Fixtures.unit(3, salt: "K"), UUID(), .request(person), store: jobs)
        guard case .refused(let refusal) = try await associations.apply([bad], today: today)[0] else {
            Issue.record("invalid request applied")
            return
        }
        #expect(refusal.code == .invalidForm)
        #expect(refusal.detail.contains("invalid_character"))
    }
}
