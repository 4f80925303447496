import Foundation
import PostgresClient
import TalentTestSupport
import Testing

@Suite("Migrations")
struct MigrationTests {
    /// `talentctl migrate --dry-run` fails while something is pending, and succeeds once applied;
    /// concurrent runners apply each migration once.
    @Test func dryRunFailsWhilePendingAndConcurrentRunsApplyOnce() async throws {
        let environment = try TestEnvironment.current()
        let database = "talent_test_migrate_\(UInt32.random(in: 0...UInt32.max))"
        let admin = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 1))
        defer { admin.shutdown() }
        try await admin.withConnection { connection in try connection.query("CREATE DATABASE \(database)") }
        let conninfo = environment.postgresConnInfo.replacingOccurrences(
            of: "dbname=talent_test", with: "dbname=\(database)")
        let processEnvironment = environment.processEnvironment(extra: ["TALENT_POSTGRES_URL": conninfo])

        @Sendable func talentctl(_ arguments: [String]) async throws -> (Int32, String) {
            let output = environment.runDirectory.appendingPathComponent("talentctl-\(UUID().uuidString).out").path
            let pid = try ChildProcess.spawn(
                environment.binDirectory.appendingPathComponent("talentctl").path, arguments,
                environment: processEnvironment, output: output)
            let status = ChildProcess.exitCode(await ChildProcess.wait(pid))
            return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
        }
        let (pendingStatus, pendingOutput) = try await talentctl(["migrate", "--dry-run"])
        #expect(pendingStatus == 1)
        #expect(pendingOutput.contains("pending\t0001_attachments_and_jobs"))

        let runs = try await withThrowingTaskGroup(of: (Int32, String).self) { group in
            for _ in 0..<3 { group.addTask { try await talentctl(["migrate"]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(runs.allSatisfy { $0.0 == 0 })
        #expect(runs.filter { $0.1.contains("applied\t0001_attachments_and_jobs") }.count == 1)
        let (upToDateStatus, upToDate) = try await talentctl(["migrate", "--dry-run"])
        #expect(upToDateStatus == 0)
        #expect(upToDate.contains("up to date"))
        try await admin.withConnection { connection in try connection.query("DROP DATABASE \(database) WITH (FORCE)") }
    }
}
