import Foundation
import Logging
import PostgresClient
import Synchronization
import TalentCore
import TalentStore
import TalentTestSupport
import Testing

@testable import TalentGateway

/// Lists that may lag read from a real streaming replica of the test database (deploy/local/replica.sh,
/// started by scripts/test.sh: `TALENT_TEST_REPLICA_URL`): within the lag bound they show the replica's
/// state, past it and for a unit's own recent writes the primary's, and a stopped replica costs no
/// error. Replay is paused on the replica (`pg_wal_replay_pause()`) to hold it behind on purpose.
@Suite(
    "Reads from a replica", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["TALENT_TEST_REPLICA_URL"] != nil, "needs scripts/test.sh"))
struct ReplicaReadTests {
    static let replicaURL = ProcessInfo.processInfo.environment["TALENT_TEST_REPLICA_URL"] ?? ""
    static let replicaScript =
        ProcessInfo.processInfo.environment["TALENT_TEST_REPLICA_SCRIPT"] ?? "deploy/local/replica.sh"

    /// A gateway whose lists may read from the replica (lag bound `bound`, sampled every 100 ms), the
    /// replica's own pool for control statements, and the monitor sampling in a task of its own.
    struct Setup {
        let harness: GatewayRouterTests.Harness
        let control: PostgresPool
        let monitor: ReplicaMonitor
        let sampling: Task<Void, Never>

        func close() async {
            sampling.cancel()
            _ = try? await control.withConnection { try $0.query("SELECT pg_wal_replay_resume()") }
            control.shutdown()
            monitor.replica.shutdown()
            await harness.close()
        }

        /// The `total` of `GET /v1/attachments` for `unit`.
        func listed(_ unit: UnifiedSocialCreditCode) async throws -> Int {
            let token = try await harness.units.mint(unit: unit.rawValue)
            let reply = try await GatewayRouterTests.send(harness, .get, "/v1/attachments", token: token)
            #expect(reply.status == 200, "\(reply.body)")
            let page = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]
            return page?["total"] as? Int ?? -1
        }

        /// Stores an attachment of `unit` straight on the primary (not through the gateway).
        func insertOnPrimary(_ unit: UnifiedSocialCreditCode) async throws {
            try await harness.pool.transaction { connection in
                _ = try UnitStore.register(unit, name: nil, on: connection)
                _ = try AttachmentStore.create(
                    NewAttachment(
                        unitId: unit, unitName: nil, kind: .businessLicence, fileName: "replica.pdf",
                        content: [1, 2, 3]),
                    jobId: UUID(), idempotencyKey: nil, on: connection)
            }
        }

        /// Waits until the monitor has sampled after now (so its estimate includes what was just written).
        func sampled() async throws {
            try await Task.sleep(for: .milliseconds(400))
        }
    }

    static func setup(bound: Duration) async throws -> Setup {
        let box = MonitorBox()
        let harness = try await GatewayRouterTests.harness(replica: { primary in
            let monitor = ReplicaMonitor(
                primary: primary, replica: PostgresPool(configuration: .init(conninfo: replicaURL, size: 2)),
                lagBound: bound, interval: .milliseconds(100))
            box.set(monitor)
            return monitor
        })
        let monitor = box.get()!
        let sampling = Task {
            while !Task.isCancelled {
                await monitor.sample()
                try? await Task.sleep(for: monitor.interval)
            }
        }
        let control = PostgresPool(configuration: .init(conninfo: replicaURL, size: 1))
        let setup = Setup(harness: harness, control: control, monitor: monitor, sampling: sampling)
        let usable = try await eventually(timeout: .seconds(30)) { monitor.isUsable }
        #expect(usable, "the replica never came within \(bound): \(String(describing: monitor.lag))")
        return setup
    }

    /// Runs `body` with a fresh ``Setup`` and closes it afterwards, also when `body` throws (replay
    /// resumed, pools closed) before the next test starts.
    static func with(bound: Duration, _ body: (Setup) async throws -> Void) async throws {
        let setup = try await setup(bound: bound)
        do {
            try await body(setup)
        } catch {
            await setup.close()
            throw error
        }
        await setup.close()
    }

    final class MonitorBox: Sendable {
        private let value = Mutex<ReplicaMonitor?>(nil)
        func set(_ monitor: ReplicaMonitor) { value.withLock { $0 = monitor } }
        func get() -> ReplicaMonitor? { value.withLock { $0 } }
    }

    func pauseReplay(_ setup: Setup) async throws {
        _ = try await setup.control.withConnection { try $0.query("SELECT pg_wal_replay_pause()") }
    }

    func resumeReplay(_ setup: Setup) async throws {
        _ = try await setup.control.withConnection { try $0.query("SELECT pg_wal_replay_resume()") }
    }

    /// Within the bound the list is the replica's (a row the replica has not replayed is not there);
    /// once replay resumes it appears.
    @Test func withinTheBoundListsComeFromTheReplica() async throws {
        try await Self.with(bound: .seconds(3_600)) { setup in
            let unit = Fixtures.unit(1, salt: "R")
            try await pauseReplay(setup)
            try await setup.insertOnPrimary(unit)
            try await setup.sampled()
            #expect(setup.monitor.isUsable)
            #expect(
                try await setup.listed(unit) == 0, "read from the primary although the replica was within the bound")
            try await resumeReplay(setup)
            let caughtUp = try await eventually(timeout: .seconds(30)) { try await setup.listed(unit) == 1 }
            #expect(caughtUp, "the replica did not catch up after replay resumed")
        }
    }

    /// Past the bound (replay paused longer than it) the same list reads from the primary.
    @Test func pastTheBoundListsComeFromThePrimary() async throws {
        try await Self.with(bound: .seconds(1)) { setup in
            let unit = Fixtures.unit(2, salt: "R")
            try await pauseReplay(setup)
            try await setup.insertOnPrimary(unit)
            let behind = try await eventually(timeout: .seconds(10)) { !setup.monitor.isUsable }
            #expect(behind, "the lag never passed the bound: \(String(describing: setup.monitor.lag))")
            #expect(try await setup.listed(unit) == 1, "a list past the lag bound came from the replica")
            try await resumeReplay(setup)
        }
    }

    /// A unit that just wrote through the gateway reads its lists from the primary, while another
    /// unit's list still comes from the (paused) replica.
    @Test func aUnitsOwnRecentWritesComeFromThePrimary() async throws {
        try await Self.with(bound: .seconds(3_600)) { setup in
            let writer = Fixtures.unit(3, salt: "R")
            let other = Fixtures.unit(4, salt: "R")
            try await pauseReplay(setup)
            // What a request does before its job is published: the unit is registered in the submitter's transaction.
            let envelope = JobEnvelope(
                kind: .attachmentValidation, jobId: UUID(), unitId: writer, schemaVersion: 1, body: [])
            _ = try await setup.harness.gateway.submitter.store(envelope, unitName: nil) { _ in ((), nil, false) }
            try await setup.insertOnPrimary(writer)
            try await setup.insertOnPrimary(other)
            try await setup.sampled()
            #expect(setup.monitor.isUsable)
            #expect(try await setup.listed(writer) == 1, "the writer's own change was read from the lagging replica")
            #expect(try await setup.listed(other) == 0, "another unit's list did not come from the replica")
            try await resumeReplay(setup)
        }
    }

    /// The replica stopped: the first list after it fails over to the primary inside the call, the next
    /// ones go to the primary at once; started again, reads return to it.
    @Test func aStoppedReplicaFallsBackToThePrimaryWithoutErrors() async throws {
        try await Self.with(bound: .seconds(3_600)) { setup in
            let unit = Fixtures.unit(5, salt: "R")
            try await setup.insertOnPrimary(unit)
            let replicated = try await eventually(timeout: .seconds(30)) { try await setup.listed(unit) == 1 }
            #expect(replicated)
            #expect(try await ChildProcess.run(Self.replicaScript, ["stop"]) == 0)
            // Before the monitor notices: the read itself falls back.
            #expect(try await setup.listed(unit) == 1)
            let noticed = try await eventually(timeout: .seconds(10)) { !setup.monitor.isUsable }
            #expect(noticed, "the monitor still used a stopped replica")
            for _ in 0..<5 { #expect(try await setup.listed(unit) == 1) }
            #expect(try await ChildProcess.run(Self.replicaScript, ["start"]) == 0)
            let back = try await eventually(timeout: .seconds(30)) { setup.monitor.isUsable }
            #expect(back, "the replica was not used again after it started")
            #expect(try await setup.listed(unit) == 1)
        }
    }
}
