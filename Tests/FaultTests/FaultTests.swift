import AMQPClient
import Foundation
import JobQueue
import TalentAPI
import TalentClient
import TalentCore
import TalentStore
import TalentTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Faults injected while load runs through the real system; after each, every upload answered 202 has
/// exactly one effect and the processes recovered by themselves. Runs in its own `swift test`
/// invocation (`TALENT_TEST_FAULTS=1`, see scripts/test.sh), since it restarts shared services.
@Suite(
    "Faults", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["TALENT_TEST_FAULTS"] == "1", "run by scripts/test.sh"))
struct FaultTests {
    struct Row: CustomStringConvertible {
        var fault: String
        var accepted: Int
        var effects: Int
        var duplicates: Int
        var lost: Int
        var description: String { "\(fault)\t\(accepted)\t\(effects)\t\(duplicates)\t\(lost)" }
    }

    /// Runs `load` files through the gateway as a fresh unit while `fault` runs, then checks effects.
    /// `fault` starts `settle` after the load does (0 when it must act before any file is validated).
    static func run(
        _ name: String, unit: Int, files count: Int = 60, settle: Duration = .milliseconds(300),
        fault: @escaping @Sendable (TestSystem) async throws -> Void
    )
        async throws -> Row
    {
        let system = try await SharedSystem.instance.get()
        let unitId = Fixtures.unit(unit, salt: "F")
        let corpus = system.environment.corpusDirectory.appendingPathComponent("files")
        let files = Array(try CorpusUpload.files(in: corpus).shuffled().prefix(count))
        let client = try await system.client(unit: unitId)
        let load = Task {
            try await CorpusUpload(client: client, concurrency: 4, verdictTimeoutSeconds: 240).run(files)
        }
        try await Task.sleep(for: settle)
        try await fault(system)
        let outcomes = try await load.value
        let row = try await account(name, unit: unitId, outcomes: outcomes, system: system)
        try await checkSettled(name, system: system)
        return row
    }

    /// Counts the effects of the uploads answered 202 (`outcomes`, of unit `unit`): lost (none) and
    /// duplicated (more than one); prints the `fault` table row and expects 0 and 0.
    static func account(
        _ name: String, unit unitId: UnifiedSocialCreditCode, outcomes: [CorpusUpload.Outcome], system: TestSystem
    ) async throws -> Row {
        let accepted = outcomes.filter { $0.attachmentId != nil }
        let perAttachment = try await system.rows(
            """
            SELECT a.id, count(v.job_id) AS n FROM attachments a LEFT JOIN attachment_verdicts v ON v.attachment_id = a.id
            WHERE a.unit_id = $1 GROUP BY a.id
            """, [unitId.rawValue])
        var effects: [String: Int] = [:]
        for row in perAttachment.rows { effects[try row.requiredString("id")] = try row.int("n") ?? 0 }
        let acceptedIds = Set(accepted.compactMap { $0.attachmentId?.uuidString.lowercased() })
        let lost = acceptedIds.filter { (effects[$0] ?? 0) == 0 }.count
        let duplicates = effects.values.filter { $0 > 1 }.count
        let row = Row(
            fault: name, accepted: accepted.count, effects: acceptedIds.reduce(0) { $0 + min(effects[$1] ?? 0, 1) },
            duplicates: duplicates, lost: lost)
        // One table row per fault; scripts/test.sh collects the `fault` lines into its summary.
        print("fault\t\(row)")
        #expect(lost == 0, "\(name): accepted uploads without an effect")
        #expect(duplicates == 0, "\(name): attachments with more than one effect")
        #expect(accepted.count > 0, "\(name): nothing was accepted")
        #expect(
            outcomes.filter { $0.verdict == "pending" }.isEmpty, "\(name): verdicts still pending after the fault")
        return row
    }

    /// Nothing left ready or unacknowledged in the work and retry queues, and every process still
    /// running and (the gateway) ready: they recovered by themselves.
    /// `ctl`: how to run rabbitmqctl (a cluster node's, for the cluster suite).
    static func checkSettled(_ name: String, system: TestSystem, ctl: [String] = [rabbitmqctl]) async throws {
        let pending = TalentTopology.queues(for: .attachmentValidation).pendingQueues
        var last: [String: (ready: Int, unacknowledged: Int)] = [:]
        let settled = try await eventually(timeout: .seconds(120)) {
            last = try await queueCounts(vhost: system.environment.amqpVirtualHost, ctl: ctl)
            return pending.allSatisfy { last[$0].map { $0.ready == 0 && $0.unacknowledged == 0 } ?? false }
        }
        #expect(settled, "\(name): messages left in \(pending): \(last)")
        let gateway = await system.gateway
        #expect(gateway?.isRunning == true, "\(name): the gateway exited")
        for worker in await system.workers {
            #expect(worker.isRunning, "\(name): \(worker.name) exited")
        }
        // Reconnecting backs off up to 5 s: ready again within a minute, without help.
        let client = try await system.client(unit: Fixtures.unit(0, salt: "F"))
        let ready = try await eventually(timeout: .seconds(60)) {
            (try? await client.send("GET", "/health/ready", authorised: false).status) == 200
        }
        #expect(ready, "\(name): gateway not ready afterwards")
    }

    /// Ready and unacknowledged message counts per queue of `vhost` (`rabbitmqctl list_queues`).
    static func queueCounts(vhost: String, ctl: [String] = [rabbitmqctl]) async throws -> [String: (
        ready: Int, unacknowledged: Int
    )] {
        let output = try await commandOutput(
            ctl[0],
            Array(ctl.dropFirst()) + [
                "-q", "list_queues", "-p", vhost, "--no-table-headers", "name", "messages_ready",
                "messages_unacknowledged",
            ])
        var counts: [String: (ready: Int, unacknowledged: Int)] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count == 3, let ready = Int(fields[1]), let unacknowledged = Int(fields[2]) else { continue }
            counts[String(fields[0])] = (ready, unacknowledged)
        }
        return counts
    }

    static func commandOutput(_ path: String, _ arguments: [String]) async throws -> String {
        let listing = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: listing) }
        _ = await ChildProcess.wait(try ChildProcess.spawn(path, arguments, output: listing))
        return (try? String(contentsOfFile: listing, encoding: .utf8)) ?? ""
    }

    static func command(_ path: String, _ arguments: [String]) async throws -> Int32 {
        try await ChildProcess.run(path, arguments)
    }

    static let rabbitmqctl = "/usr/lib/rabbitmq/bin/rabbitmqctl"

    @Test func workerKilledTwentyTimes() async throws {
        _ = try await Self.run("worker SIGKILL ×20", unit: 1, files: 120) { system in
            for _ in 0..<20 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 200...700)))
                await system.stopWorkers(signal: SIGKILL)
                try await system.startWorker()
            }
        }
    }

    /// A notice to every unit fanned out in small chunks while its worker is killed twice (SIGKILL)
    /// mid-fan-out: each redelivery resumes after the last committed chunk, and in the end every unit
    /// has exactly one inbox row for it and the notice's recipient count equals its rows.
    @Test func noticeWorkerKilledMidFanOut() async throws {
        let system = try await SharedSystem.instance.get()
        let bulk = BenchmarkFixtures.unitCodes(count: 40_000, salt: "K")
        _ = try await system.pool.transaction { connection in try BenchmarkFixtures.insertUnits(bulk, on: connection) }
        let chunkSize = 500
        await system.stopNoticeWorker(signal: SIGTERM)
        try await system.startNoticeWorker(chunkSize: chunkSize)
        let service = try await system.serviceClient(scope: "notices", name: "policy-portal")
        let reply = try await service.send(
            "POST", "/v1/service/notices",
            json: NoticePublicationRequest(title: "故障测试通知", documentUrl: "https://example.cn/fault.pdf"))
        let accepted = try reply.decode(NoticeJobAccepted.self)
        let notice = accepted.noticeId.uuidString.lowercased()
        func chunks() async throws -> Int {
            try await system.rows("SELECT fanout_chunks FROM notices WHERE public_id = $1", [notice]).first?.int(
                "fanout_chunks") ?? 0
        }
        var killedAt: [Int] = []
        var target = 5
        for _ in 1...2 {
            let reached = try await eventually(timeout: .seconds(120)) { try await chunks() >= target }
            #expect(reached, "the fan-out did not progress")
            await system.stopNoticeWorker(signal: SIGKILL)
            let at = try await chunks()
            killedAt.append(at)
            target = at + 10
            try await system.startNoticeWorker(chunkSize: chunkSize)
        }
        let job = try await service.finishedJob(accepted.job.id, timeout: .seconds(240), jobsPath: "/v1/service/jobs/")
        #expect(job?.status == .succeeded)
        let counts = try #require(
            try await system.rows(
                """
                SELECT (SELECT count(*) FROM units) AS units,
                       (SELECT count(*) FROM notice_inbox i JOIN notices n ON n.id = i.notice_id
                        WHERE n.public_id = $1) AS rows,
                       (SELECT count(DISTINCT i.unit_id) FROM notice_inbox i JOIN notices n ON n.id = i.notice_id
                        WHERE n.public_id = $1) AS distinct_units,
                       (SELECT recipients FROM notices WHERE public_id = $1) AS recipients,
                       (SELECT fanout_chunks FROM notices WHERE public_id = $1) AS chunks
                """, [notice]
            ).first)
        let units = try counts.int("units") ?? 0
        let rows = try counts.int("rows") ?? 0
        let distinct = try counts.int("distinct_units") ?? 0
        let total = try counts.int("chunks") ?? 0
        #expect(killedAt.allSatisfy { $0 < total }, "killed at chunks \(killedAt) of \(total): not mid-fan-out")
        let row = Row(
            fault: "notice worker SIGKILL ×2 mid-fan-out (chunks \(killedAt) of \(total))", accepted: units,
            effects: distinct, duplicates: rows - distinct, lost: units - distinct)
        print("fault\t\(row)")
        #expect(distinct == units, "units without the notice: \(units - distinct)")
        #expect(rows == distinct, "duplicated inbox rows: \(rows - distinct)")
        #expect(try counts.int("recipients") == rows, "the recipient count disagrees with the rows")
        await system.stopNoticeWorker(signal: SIGTERM)
        try await system.startNoticeWorker()
    }

    @Test func brokerRestart() async throws {
        _ = try await Self.run("RabbitMQ restart", unit: 2) { _ in
            let stopped = try await Self.command(Self.rabbitmqctl, ["stop_app"])
            try await Task.sleep(for: .seconds(2))
            let started = try await Self.command(Self.rabbitmqctl, ["start_app"])
            #expect(stopped == 0 && started == 0)
        }
    }

    /// A worker's readiness follows its consumer: ready while it consumes, `503` within seconds of the
    /// broker going away (the consumer died with its connection), ready again once it re-consumed.
    @Test func workerReadinessFollowsItsConsumer() async throws {
        let system = try await SharedSystem.instance.get()
        let port = 58_095
        let worker = try ManagedProcess(
            name: "readiness-worker",
            executable: system.environment.binDirectory.appendingPathComponent("talent-worker"),
            arguments: [JobKind.attachmentValidation.rawValue, "--http-port", String(port)],
            environment: system.environment.processEnvironment(), runDirectory: system.environment.runDirectory)
        let health = GatewayClient(baseURL: URL(string: "http://127.0.0.1:\(port)")!, token: "")
        func readiness() async -> Int {
            (try? await health.send("GET", "/health/ready", authorised: false).status) ?? 0
        }
        func wait(for status: Int, seconds: Int) async throws -> Duration? {
            let start = ContinuousClock.now
            while start.duration(to: .now) < .seconds(seconds) {
                if await readiness() == status { return start.duration(to: .now) }
                try await Task.sleep(for: .milliseconds(100))
            }
            return nil
        }
        #expect(try await wait(for: 200, seconds: 30) != nil, "the worker never became ready")
        #expect(try await Self.command(Self.rabbitmqctl, ["stop_app"]) == 0)
        let notReady = try await wait(for: 503, seconds: 10)
        let body = try? await health.send("GET", "/health/ready", authorised: false).body
        #expect(try await Self.command(Self.rabbitmqctl, ["start_app"]) == 0)
        #expect(notReady != nil, "still ready 10 s after the broker stopped")
        print("readiness: the worker answered 503 \(notReady.map { "\($0)" } ?? "never") after the broker stopped")
        #expect(String(decoding: body ?? Data(), as: UTF8.self).contains("\"consumer\":\"not consuming\""))
        #expect(try await wait(for: 200, seconds: 60) != nil, "not ready again after the broker came back")
        await worker.stop()
    }

    @Test func postgresRestart() async throws {
        let environment = ProcessInfo.processInfo.environment
        let data = (environment["TALENT_SERVICES_HOME"] ?? environment["TALENT_HOME"] ?? ".local") + "/postgres"
        _ = try await Self.run("PostgreSQL restart", unit: 3) { _ in
            let status = try await Self.command(
                "/usr/sbin/runuser",
                [
                    "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", data, "-m", "fast", "-w",
                    "restart",
                ])
            #expect(status == 0)
        }
    }

    @Test func connectionsClosedByTheBroker() async throws {
        _ = try await Self.run("rabbitmqctl close_connection", unit: 4) { _ in
            for _ in 0..<3 {
                try await Task.sleep(for: .milliseconds(500))
                let output = try await Self.commandOutput(Self.rabbitmqctl, ["-q", "list_connections", "pid"])
                for pid in output.split(separator: "\n") where pid.hasPrefix("<") {
                    _ = try await Self.command(Self.rabbitmqctl, ["close_connection", String(pid), "fault injection"])
                }
            }
        }
    }

    @Test func memoryAlarm() async throws {
        _ = try await Self.run("memory alarm (publishers blocked)", unit: 6) { system in
            let raised = try await Self.command(Self.rabbitmqctl, ["set_vm_memory_high_watermark", "0.0001"])
            var refusal: Result<GatewayClient.Reply, any Error>
            do {
                try await Task.sleep(for: .seconds(1))
                let client = try await system.client(unit: Fixtures.unit(60, salt: "F"))
                refusal = .success(
                    try await client.upload(Data("%PDF-1.4\n".utf8), fileName: "blocked.pdf", kind: .other))
                try await Task.sleep(for: .seconds(2))
            } catch {
                refusal = .failure(error)
            }
            // Lowered whatever happened above, so later faults run against a healthy broker.
            let lowered = try await Self.command(Self.rabbitmqctl, ["set_vm_memory_high_watermark", "0.4"])
            #expect(raised == 0 && lowered == 0)
            // While blocked, an upload is refused with 503 and Retry-After instead of hanging.
            let reply = try refusal.get()
            #expect(reply.status == 503, "upload during a memory alarm answered \(reply.status)")
            #expect(["broker_blocked", "unavailable"].contains(reply.errorCode ?? ""))
            #expect(reply.headers["retry-after"] != nil)
        }
    }

    @Test func queueDeletedUnderTheConsumer() async throws {
        _ = try await Self.run("work queue deleted under the consumer", unit: 7, files: 80, settle: .zero) { system in
            // The worker is paused before the load gets going (with a head start the 80 small files can all
            // be validated before the pause, and nothing piles up) so that messages pile up (ready and
            // unacknowledged) and are lost with the queue; its consumer stays registered and is cancelled by
            // the deletion.
            let workers = await system.workers
            for worker in workers { kill(worker.pid, SIGSTOP) }
            let queue = JobTopologyNames.workQueue(.attachmentValidation)
            let vhost = system.environment.amqpVirtualHost
            let piled = try await eventually(timeout: .seconds(30)) {
                let counts = try await Self.queueCounts(vhost: vhost)[queue]
                return (counts?.ready ?? 0) >= 10
            }
            let status = try await Self.command(Self.rabbitmqctl, ["delete_queue", "-p", vhost, queue])
            for worker in workers { kill(worker.pid, SIGCONT) }
            #expect(piled, "no messages piled up before the deletion")
            #expect(status == 0)
        }
    }

    @Test func poisonMessagesAreDeadLettered() async throws {
        let system = try await SharedSystem.instance.get()
        let connection = AMQPConnection(configuration: system.environment.amqpConfiguration(name: "fault poison"))
        defer { Task { await connection.close() } }
        let deadQueue = JobTopologyNames.deadLetterQueue(.attachmentValidation)
        let before = try await connection.queueState(deadQueue).messages
        let bodies: [[UInt8]] = [
            Array("not json".utf8),
            Array(#"{"schemaVersion":99,"jobId":"00000000-0000-0000-0000-000000000000"}"#.utf8),
            [UInt8](repeating: 0x7b, count: 2 * 1024 * 1024),
        ]
        for body in bodies {
            try await connection.publish(
                AMQPMessage(
                    exchange: JobTopologyNames.jobsExchange, routingKey: JobKind.attachmentValidation.routingKey,
                    body: body, messageId: UUID().uuidString))
        }
        let parked = try await system.wait(timeout: .seconds(60)) {
            try await connection.queueState(deadQueue).messages >= before + bodies.count
        }
        #expect(parked, "poison messages did not reach \(deadQueue)")
        let reasons = try await Self.parkedReasons(deadQueue, connection: connection)
        #expect(reasons.filter { $0 == "malformed" }.count >= 1, "reasons: \(reasons)")
        #expect(reasons.filter { $0 == "too_large" }.count >= 1, "reasons: \(reasons)")
        #expect(reasons.filter { $0 == "unknown_schema_version" }.count >= 1, "reasons: \(reasons)")
        // The worker is still consuming afterwards.
        _ = try await Self.run("poison messages", unit: 5, files: 20) { _ in }
    }

    /// The `x-talent-reason` of every parked message (read, then returned: they stay parked).
    static func parkedReasons(_ queue: String, connection: AMQPConnection) async throws -> [String] {
        let system = try await SharedSystem.instance.get()
        let total = try await connection.queueState(queue).messages
        let reader = AMQPConnection(configuration: system.environment.amqpConfiguration(name: "fault parking reader"))
        var seen: [AMQPDelivery] = []
        for try await delivery in reader.consume(queue: queue, prefetch: 1000) {
            seen.append(delivery)
            if seen.count >= total { break }
        }
        for delivery in seen { reader.reject(delivery, requeue: true) }
        await reader.close()
        return seen.map { $0.headers[JobHeaders.reason]?.stringValue ?? "none" }
    }
}
