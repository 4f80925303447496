import AMQPClient
import ArgumentParser
import AttachmentInspection
import Foundation
import JobQueue
import PostgresClient
import ServiceConfiguration
import TalentBench
import TalentClient
import TalentCore
import TalentGateway

/// `talentctl bench …`: the pieces of the benchmark (`scripts/bench.sh` runs them all and prints the
/// table), and the quick end-to-end decision measure.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark pieces: raw ceilings, decision backlogs, end-to-end decision throughput.",
        subcommands: [
            Decisions.self, Ceiling.self, Inspect.self, Prepare.self, Publish.self, Notices.self, Sweep.self,
        ],
        defaultSubcommand: Decisions.self)

    static func environment() -> ServiceEnvironment {
        SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
    }
}

extension Bench {
    /// `talentctl bench ceiling publish|consume|insert|loop`: one run of one raw ceiling, as JSON.
    struct Ceiling: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure one raw ceiling of the broker and database with the project's clients (JSON line).")

        @Argument(
            help:
                "publish (confirms, window), consume (+ ack), insert (rows per transaction), loop (consume → insert → commit → multiple ack)."
        )
        var what: String

        @Option(help: "Messages or rows.") var count: Int = 20_000
        @Option(help: "Unconfirmed publishes at most (publish).") var window: Int = 100
        @Option(help: "Prefetch (consume, loop).") var prefetch: Int = 200
        @Option(help: "Rows per transaction (insert, loop).") var batch: Int = 100
        @Option(help: "Database connections or consumers at once (insert, loop).") var connections: Int = 2

        func run() async throws {
            guard count >= 1, window >= 1, (1...65_535).contains(prefetch), batch >= 1, connections >= 1 else {
                throw ValidationError("counts, window, prefetch, batch and connections must be ≥ 1")
            }
            let environment = Bench.environment()
            let ceilings = Ceilings(
                amqp: { environment.amqp(connectionName: $0) }, postgres: environment.postgres(poolSize: connections))
            let result: BenchMeasurement
            switch what {
            case "publish": result = try await ceilings.publish(count: count, window: window).0
            case "consume": result = try await ceilings.consume(count: count, prefetch: prefetch)
            case "insert": result = try await ceilings.insert(count: count, batch: batch, connections: connections)
            case "loop":
                result = try await ceilings.loop(count: count, batch: batch, prefetch: prefetch, consumers: connections)
            default: throw ValidationError("unknown ceiling \(what): publish, consume, insert or loop")
            }
            print(result.jsonLine)
        }
    }

    /// `talentctl bench inspect DIR`: the inspector's own ceiling, every file of a directory through
    /// one fork server, `--concurrency` at a time, no broker or database (JSON line; `cpuMsPerFile` is
    /// the server's and its children's CPU time per file).
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect every file of a directory through the fork server, no broker or database (JSON line).")

        @Argument(help: "A directory of files (e.g. the attachment corpus's files).") var directory: String
        @Option(help: "Inspections at once.") var concurrency: Int = 8

        func run() async throws {
            guard concurrency >= 1 else { throw ValidationError("--concurrency must be ≥ 1") }
            let files = try CorpusUpload.files(in: URL(fileURLWithPath: directory))
            let contents = try files.map { (name: $0.lastPathComponent, bytes: Array(try Data(contentsOf: $0))) }
            guard !contents.isEmpty else { throw ValidationError("no files in \(directory)") }
            let inspector = ContainedInspector()
            let policy = AttachmentPolicy()
            // Start the server first, so the run measures inspections only.
            _ = try await inspector.inspect(
                contents[0].bytes, request: .init(fileName: contents[0].name, kind: .other, policy: policy))
            let before = Self.cpuTicks(of: inspector.serverProcessId)
            let elapsed = try await ContinuousClock().measure {
                try await inWindow(contents.count, window: concurrency) { index in
                    _ = try await inspector.inspect(
                        contents[index].bytes,
                        request: .init(fileName: contents[index].name, kind: .other, policy: policy))
                }
            }
            let ticks = Self.cpuTicks(of: inspector.serverProcessId) - before
            var result = BenchMeasurement(
                measure: "inspector", count: contents.count, elapsed: elapsed, parameters: ["concurrency": concurrency])
            result.cpuMsPerFile = Double(ticks) * 1000 / Double(sysconf(Int32(_SC_CLK_TCK))) / Double(contents.count)
            print(result.jsonLine)
        }

        /// User and system ticks of a process and of the children it has reaped (`/proc/PID/stat`).
        static func cpuTicks(of pid: Int32?) -> Int {
            guard let pid, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { return 0 }
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            return fields.count > 14 ? (11...14).reduce(0) { $0 + (Int(fields[$1]) ?? 0) } : 0
        }
    }

    /// `talentctl bench prepare --count N --out FILE [--jobs]`: a new unit with N pending requests
    /// (and, with `--jobs`, an approval job for each in the outbox, not yet published).
    struct Prepare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a unit with pending requests (and stored approval jobs) for a benchmark run.")

        @Option(help: "Pending requests.") var count: Int
        @Option(help: "Where to write the jobs file (tab-separated: job id, association id, unit id, message).")
        var out: String
        @Flag(help: "Also store one approval job per request in the outbox.") var jobs = false
        @Option(help: "Seed (a new unit per seed).") var seed: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)

        func run() async throws {
            guard count >= 1 else { throw ValidationError("--count must be ≥ 1") }
            let pool = PostgresPool(configuration: Bench.environment().postgres(poolSize: 1))
            defer { pool.shutdown() }
            let elapsed = try await ContinuousClock().measure {
                let backlog = try await DecisionBacklog.prepare(pool: pool, seed: seed, count: count, jobs: jobs)
                try backlog.jobsFile.write(toFile: out, atomically: true, encoding: .utf8)
                print(backlog.unit.rawValue)
            }
            FileHandle.standardError.write(Data("prepared \(count) requests in \(elapsed)\n".utf8))
        }
    }

    /// `talentctl bench publish --jobs FILE`: publishes a prepared backlog with confirms (JSON line).
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish the stored jobs of a jobs file with confirms, as the gateway does (JSON line).")

        @Option(help: "A jobs file from `bench prepare --jobs`.") var jobs: String
        @Option(help: "Unconfirmed publishes at most.") var window: Int = 200

        func run() async throws {
            let backlog = try DecisionBacklog(jobsFile: try String(contentsOfFile: jobs, encoding: .utf8))
            let environment = Bench.environment()
            let pool = PostgresPool(configuration: environment.postgres(poolSize: 2))
            defer { pool.shutdown() }
            let connection = AMQPConnection(configuration: environment.amqp(connectionName: "talentctl bench publish"))
            let result = try await backlog.publish(connection: connection, pool: pool, window: max(window, 1))
            await connection.close()
            print(result.jsonLine)
        }
    }
}

extension Bench {
    /// `talentctl bench decisions`: decision throughput through gateway, broker, worker and database.
    struct Decisions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure association-decision throughput (jobs per second), end to end.")

        @Option(help: "Gateway base URL.")
        var gateway: String = "http://127.0.0.1:\(ProcessInfo.processInfo.environment["TALENT_HTTP_PORT"] ?? "8080")"

        @Option(help: "Approvals to send (each on its own pending request).")
        var count: Int = 1000

        @Option(help: "Requests in flight at once.")
        var concurrency: Int = 16

        @Option(help: "Seed (a new unit per seed keeps runs independent).")
        var seed: UInt64 = UInt64(Date().timeIntervalSince1970)

        @Flag(
            help:
                "Publish the approval jobs straight to the broker (outbox row + confirmed publish, as the gateway does) to measure the workers without the HTTP gateway."
        )
        var direct = false

        func run() async throws {
            guard count >= 1, concurrency >= 1 else {
                throw ValidationError("bench decisions --count N")
            }
            let base = try URL(string: gateway).orThrow("bad --gateway")
            var population = DemoPopulation(seed: seed)
            let unit = population.unit(Int(seed % 900_000) + 100)
            let client = GatewayClient(
                baseURL: base,
                token: try await DevelopmentIssuer.local().mint(unit: unit.code.rawValue, unitName: unit.name))
            let service = GatewayClient(
                baseURL: base,
                token: try await DevelopmentIssuer.localServices().mintService(service: "personal-portal"))
            let demo = AssociationDemo(unit: client, service: service) { print($0) }
            // Requests need a complete profile (the association code is usable only then).
            _ = try await ProfileCompletion(unit: client).completeIfNeeded(name: unit.name, seed: seed)
            let people = (0..<count).map { _ in population.person() }
            print("preparing \(count) pending requests for \(unit.code.rawValue)…")
            let approval = population.approval()
            let result =
                direct
                ? try await Self.direct(
                    demo: demo, unit: unit.code, people: people, approval: approval, concurrency: concurrency)
                : try await demo.benchmarkApprovals(people: people, approval: approval, concurrency: concurrency)
            print(
                String(
                    format: "decisions: %d approvals applied in %.2f s = %.1f jobs/s (concurrency %d)", count,
                    result.seconds,
                    result.perSecond, concurrency))
        }
    }
}

extension Bench.Decisions {
    /// Prepares the requests through the gateway, then stores and publishes one approval job per
    /// request directly; the clock runs from the first publish until the unit's counts show them all
    /// active (the workers' throughput, the broker and the database included).
    static func direct(
        demo: AssociationDemo, unit: UnifiedSocialCreditCode, people: [PersonProfile], approval: ApprovalForm,
        concurrency: Int
    ) async throws -> (seconds: Double, perSecond: Double) {
        let start = try await demo.summary()
        let ids = try await demo.submitRequests(people, code: start.code, concurrency: concurrency)
        try await demo.waitForCounts { pending, _ in pending >= start.pending + people.count }
        let environment = SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
        let pool = PostgresPool(configuration: environment.postgres(poolSize: 4))
        defer { pool.shutdown() }
        let jobs = JobStore(pool: pool)
        let connection = AMQPConnection(configuration: environment.amqp(connectionName: "talentctl bench"))
        let envelopes = try ids.map { id in
            try JobEnvelope(
                AssociationDecisionJob(
                    jobId: UUID(), unitId: unit, associationId: id, actor: "bench", requestedAt: Date(),
                    decision: .approve(approval)))
        }
        for (id, envelope) in zip(ids, envelopes) {
            _ = try await pool.transaction { connection in
                try JobStore.insert(envelope, subjectId: id, on: connection)
            }
        }
        let clock = ContinuousClock()
        let began = clock.now
        let publisher = JobPublisher(connection: connection, jobs: jobs, confirmTimeout: .seconds(30))
        _ = try await demo.forEach(envelopes, concurrency: 64) { envelope in try await publisher.publish(envelope) }
        try await demo.waitForCounts { _, active in active >= start.active + ids.count }
        let elapsed = clock.now - began
        await connection.close()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (seconds, Double(ids.count) / seconds)
    }
}
