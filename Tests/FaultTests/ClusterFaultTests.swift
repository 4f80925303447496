import Foundation
import JobQueue
import Synchronization
import TalentClient
import TalentCore
import TalentTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Faults of a three-node RabbitMQ cluster (deploy/local/cluster.sh) under a steady upload load through
/// the gateway, with the accounting of ``FaultTests``: every upload answered 202 has exactly one effect,
/// nothing is left in the queues, every process is alive and ready again. Each fault also reports how
/// long end-to-end throughput (verdicts committed per second) stayed below half of what it was before.
/// Runs in its own `swift test` invocation (`TALENT_TEST_CLUSTER=1`, scripts/test.sh), with the
/// processes pointed at the cluster (`TALENT_TEST_AMQP_ADDRESSES`).
@Suite(
    "Cluster faults", .serialized,
    .enabled(
        if: ProcessInfo.processInfo.environment["TALENT_TEST_CLUSTER"] == "1",
        "run by scripts/test.sh after the fault suite"))
struct ClusterFaultTests {
    static let script =
        ProcessInfo.processInfo.environment["TALENT_TEST_CLUSTER_SCRIPT"] ?? "deploy/local/cluster.sh"
    static let workQueue = JobTopologyNames.workQueue(.attachmentValidation)

    /// rabbitmqctl of a node (1…3), run in its network namespace.
    static func ctl(_ node: Int) -> [String] { [script, "ctl", String(node)] }

    static func cluster(_ arguments: String...) async throws {
        let status = try await FaultTests.command(script, arguments)
        #expect(status == 0, "cluster.sh \(arguments.joined(separator: " ")) exited \(status)")
    }

    final class StopFlag: Sendable {
        private let flag = Atomic<Bool>(false)
        var isSet: Bool { flag.load(ordering: .relaxed) }
        func set() { flag.store(true, ordering: .relaxed) }
    }

    /// Samples of committed effects over time, the instants faults were injected and when the load ended.
    final class Timeline: Sendable {
        private let state = Mutex<
            (
                samples: [(ContinuousClock.Instant, Int)], faults: [ContinuousClock.Instant],
                ended: ContinuousClock.Instant?
            )
        >(([], [], nil))
        func sample(_ count: Int) { state.withLock { $0.samples.append((.now, count)) } }
        func markFault() { state.withLock { $0.faults.append(.now) } }
        func markLoadEnded() { state.withLock { $0.ended = .now } }

        /// How throughput behaved after the first fault, from one-second windows of committed verdicts
        /// (wholly after the fault, before the load ended) against half the rate of the three seconds
        /// before it: `belowHalf`, seconds of windows below it (≈, windows every 200 ms); `lastLow`,
        /// seconds from the fault to the end of the last such window (0 when none); `nil` when the last
        /// window before the end still was below (throughput did not come back).
        func recovery() -> (belowHalf: Double, lastLow: Double)? {
            let (samples, faults, ended) = state.withLock { ($0.samples, $0.faults, $0.ended) }
            guard let fault = faults.first, let ended else { return nil }
            func count(at instant: ContinuousClock.Instant) -> Int {
                samples.last { $0.0 <= instant }?.1 ?? 0
            }
            func seconds(_ duration: Duration) -> Double {
                Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            }
            let before = Double(count(at: fault) - count(at: fault - .seconds(3))) / 3
            let windows = samples.filter { $0.0 >= fault + .seconds(1) && $0.0 <= ended }
            var lastLow: ContinuousClock.Instant?
            var lowWindows = 0
            var lowAtEnd = false
            for (instant, total) in windows {
                let low = Double(total - count(at: instant - .seconds(1))) < before / 2
                if low {
                    lastLow = instant
                    lowWindows += 1
                }
                lowAtEnd = low
            }
            if lowAtEnd { return nil }
            return (Double(lowWindows) * 0.2, lastLow.map { seconds($0 - fault) } ?? 0)
        }
    }

    /// Uploads corpus files as fresh units (four clients each; a unit's request budget is 50 per second,
    /// so two units offer more than one attachment worker validates and keep it holding deliveries)
    /// until `fault` has returned and 15 s more, sampling committed verdicts every 200 ms; then waits
    /// until every upload answered 202 has a verdict (or four minutes pass) and accounts for the effects
    /// (``FaultTests/account(_:unit:outcomes:system:)``, summed over the units).
    static func run(
        _ name: String, units: [Int], fault: @escaping @Sendable (TestSystem, Timeline) async throws -> Void
    ) async throws {
        let system = try await SharedSystem.instance.get()
        let unitIds = units.map { Fixtures.unit($0, salt: "D") }
        let unitList = "{" + unitIds.map(\.rawValue).joined(separator: ",") + "}"
        let files = try CorpusUpload.files(in: system.environment.corpusDirectory.appendingPathComponent("files"))
        var uploaders: [(UnifiedSocialCreditCode, CorpusUpload)] = []
        for unitId in unitIds {
            uploaders.append((unitId, CorpusUpload(client: try await system.client(unit: unitId), concurrency: 1)))
        }
        let timeline = Timeline()
        let stop = StopFlag()
        let countSQL = """
            SELECT count(*) AS n FROM attachment_verdicts v JOIN attachments a ON a.id = v.attachment_id
            WHERE a.unit_id = ANY($1::text[])
            """
        let sampler = Task {
            while !stop.isSet {
                if let rows = try? await system.rows(countSQL, [unitList]), let n = try? rows.rows.first?.int("n") {
                    timeline.sample(n)
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let outcomes = try await withThrowingTaskGroup(of: [(UnifiedSocialCreditCode, CorpusUpload.Outcome)].self) {
            group in
            for (unitId, uploader) in uploaders {
                for _ in 0..<4 {
                    group.addTask {
                        var mine: [(UnifiedSocialCreditCode, CorpusUpload.Outcome)] = []
                        while !stop.isSet {
                            // A refused or failed request is not accepted; the next one goes on.
                            if let outcome = try? await uploader.upload(files.randomElement()!) {
                                mine.append((unitId, outcome))
                            }
                        }
                        return mine
                    }
                }
            }
            try await Task.sleep(for: .seconds(5))
            try await fault(system, timeline)
            try await Task.sleep(for: .seconds(15))
            timeline.markLoadEnded()
            stop.set()
            return try await group.reduce(into: []) { $0 += $1 }
        }
        await sampler.value
        let accepted = outcomes.compactMap { $0.1.attachmentId?.uuidString.lowercased() }
        let acceptedList = "{" + accepted.joined(separator: ",") + "}"
        let done = try await system.wait(timeout: .seconds(240)) {
            let rows = try await system.rows(
                "SELECT count(DISTINCT attachment_id) AS n FROM attachment_verdicts WHERE attachment_id = ANY($1::uuid[])",
                [acceptedList])
            return (try rows.rows.first?.int("n") ?? 0) == accepted.count
        }
        #expect(done, "\(name): verdicts still missing four minutes after the load")
        var total = FaultTests.Row(fault: name, accepted: 0, effects: 0, duplicates: 0, lost: 0)
        for unitId in unitIds {
            let settled = outcomes.filter { $0.0 == unitId }.map { entry in
                var outcome = entry.1
                if outcome.verdict == "pending" { outcome.verdict = "decided" }
                return outcome
            }
            let row = try await FaultTests.account(name, unit: unitId, outcomes: settled, system: system)
            total.accepted += row.accepted
            total.effects += row.effects
            total.duplicates += row.duplicates
            total.lost += row.lost
        }
        let refused = outcomes.count - accepted.count
        let recovery = timeline.recovery()
        // One table row per fault; scripts/test.sh collects the `cluster` lines.
        print(
            "cluster\t\(total)\t\(refused)\t"
                + (recovery.map { String(format: "%.1f\t%.1f", $0.belowHalf, $0.lastLow) } ?? "not recovered\t-"))
        #expect(recovery != nil, "\(name): throughput did not come back while the load ran")
        try await FaultTests.checkSettled(name, system: system, ctl: ctl(1))
    }

    /// The node (1…3) holding the leader of the attachment work queue.
    static func leader(of queue: String = workQueue, vhost: String) async throws -> Int {
        for node in 1...3 {
            let output = try await FaultTests.commandOutput(
                script, ["ctl", String(node), "-q", "list_queues", "-p", vhost, "name", "leader", "--no-table-headers"])
            for line in output.split(separator: "\n") {
                let fields = line.split(whereSeparator: \.isWhitespace)
                if fields.count == 2, fields[0] == queue, let last = fields[1].last?.wholeNumberValue { return last }
            }
        }
        throw ClusterError(message: "no node names the leader of \(queue)")
    }

    /// The node (1…3) that the consuming connection of `kind`'s worker is open on, and the deliveries
    /// it holds unacknowledged (`list_connections`, `list_channels`); `nil` when no node lists it.
    static func consumer(of kind: JobKind, vhost: String) async throws -> (node: Int, unacknowledged: Int)? {
        for node in 1...3 {
            let connections = try await FaultTests.commandOutput(
                script,
                [
                    "ctl", String(node), "-q", "list_connections", "-p", vhost, "name", "client_properties",
                    "--no-table-headers",
                ])
            // The name is `client:port -> 10.203.0.1N:5672`; the publisher's connection name ends in " publisher"
            // (every line names the capability publisher_confirms).
            let line = connections.split(separator: "\n").first { line in
                line.contains("talent-worker \(kind.rawValue) pid") && !line.contains(" publisher\"")
            }
            guard let line, let name = line.split(separator: "\t").first,
                let server = name.split(separator: " ").last, let digit = server.split(separator: ":").first?.last,
                let owner = digit.wholeNumberValue
            else { continue }
            let channels = try await FaultTests.commandOutput(
                script,
                [
                    "ctl", String(node), "-q", "list_channels", "-p", vhost, "name", "messages_unacknowledged",
                    "--no-table-headers",
                ])
            let held = channels.split(separator: "\n").filter { $0.hasPrefix(name) }.compactMap { line in
                line.split(separator: "\t").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            }
            return (owner, held.reduce(0, +))
        }
        return nil
    }

    struct ClusterError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Every work, retry and parking queue is a quorum queue with a member on each of the three nodes.
    @Test func queuesAreReplicatedOnEveryNode() async throws {
        let system = try await SharedSystem.instance.get()
        let output = try await FaultTests.commandOutput(
            Self.script,
            [
                "ctl", "1", "-q", "list_queues", "-p", system.environment.amqpVirtualHost, "name", "type", "members",
                "--no-table-headers",
            ])
        let expected = Set(TalentTopology.definition.queues.map(\.name))
        var seen: Set<String> = []
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count == 3, expected.contains(fields[0]) else { continue }
            seen.insert(fields[0])
            #expect(fields[1] == "quorum", "\(fields[0]) is \(fields[1])")
            for node in 1...3 { #expect(fields[2].contains("talent@10.203.0.1\(node)"), "\(fields[0]): \(fields[2])") }
        }
        #expect(seen == expected, "queues missing: \(expected.subtracting(seen))")
    }

    @Test func leaderKilled() async throws {
        try await Self.run("cluster: work-queue leader SIGKILL", units: [1, 2]) { system, timeline in
            try await Self.killAndRestart(try await Self.leader(vhost: system.environment.amqpVirtualHost), timeline)
        }
    }

    /// SIGKILL of `node` (marked as the fault), started again 10 s later.
    static func killAndRestart(_ node: Int, _ timeline: Timeline) async throws {
        timeline.markFault()
        try await cluster("kill", String(node))
        try await Task.sleep(for: .seconds(10))
        try await cluster("start-node", String(node))
    }

    @Test func followerKilled() async throws {
        try await Self.run("cluster: follower SIGKILL", units: [3, 4]) { system, timeline in
            let leader = try await Self.leader(vhost: system.environment.amqpVirtualHost)
            try await Self.killAndRestart(leader % 3 + 1, timeline)
        }
    }

    @Test func nodeStoppedAndRestarted() async throws {
        try await Self.run("cluster: node stopped, restarted", units: [5, 6]) { _, timeline in
            timeline.markFault()
            try await Self.cluster("stop-node", "2")
            try await Task.sleep(for: .seconds(5))
            try await Self.cluster("start-node", "2")
        }
    }

    /// The node the attachment worker consumes from, killed while the worker holds unacknowledged
    /// deliveries: the worker is paused (SIGSTOP) until the broker shows deliveries unacknowledged on its
    /// channel, the node is killed, the worker resumes (SIGCONT). Its acks go nowhere; the deliveries
    /// return to the queue; the worker reconnects to another node and the redelivered jobs find their
    /// effects already committed (or commit them once).
    @Test func workersNodeKilledWhileItHoldsDeliveries() async throws {
        try await Self.run("cluster: worker's node SIGKILL, deliveries unacked", units: [7, 8]) { system, timeline in
            let vhost = system.environment.amqpVirtualHost
            guard let worker = await system.workers.first else { throw ClusterError(message: "no attachment worker") }
            kill(worker.pid, SIGSTOP)
            // Resumed whatever happens below (a worker left stopped would fail every later check).
            var resumed = false
            defer { if !resumed { kill(worker.pid, SIGCONT) } }
            var found: (node: Int, unacknowledged: Int)?
            let holding = try await system.wait(timeout: .seconds(20)) {
                found = try await Self.consumer(of: .attachmentValidation, vhost: vhost)
                return (found?.unacknowledged ?? 0) > 0
            }
            #expect(holding, "the attachment worker held no unacknowledged deliveries: \(String(describing: found))")
            let node = found?.node ?? 1
            print("cluster-detail\tthe attachment worker held \(found?.unacknowledged ?? 0) deliveries on node \(node)")
            timeline.markFault()
            try await Self.cluster("kill", String(node))
            kill(worker.pid, SIGCONT)
            resumed = true
            try await Task.sleep(for: .seconds(10))
            try await Self.cluster("start-node", String(node))
        }
    }

    /// The work queue leader's node cut off the network (its veth down) for 30 s, then healed: the
    /// majority elects a new leader, the cut-off node pauses (`pause_minority`), clients connected to it
    /// notice by missed heartbeats and move on.
    @Test func leaderPartitioned() async throws {
        try await Self.run("cluster: leader's node partitioned 30 s", units: [9, 10]) { system, timeline in
            let node = try await Self.leader(vhost: system.environment.amqpVirtualHost)
            timeline.markFault()
            try await Self.cluster("partition", String(node))
            try await Task.sleep(for: .seconds(30))
            try await Self.cluster("heal", String(node))
            // Back in the cluster before the next fault. RabbitMQ's own recovery after a partition
            // (Mnesia, global) does not always bring the paused node back (seen here once in three runs:
            // the node stuck "Faking nodedown/nodeup"); then it gets the operator's remedy, a restart,
            // and the suite says so.
            let rejoined =
                try await FaultTests.command(
                    Self.script, ["ctl", String(node), "-q", "await_startup", "--timeout", "90"]) == 0
            if !rejoined {
                print("cluster-detail\tnode \(node) did not rejoin within 90 s of the heal; restarted")
                try await Self.cluster("kill", String(node))
                try await Self.cluster("start-node", String(node))
            }
        }
    }
}
