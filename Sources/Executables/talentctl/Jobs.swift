import ArgumentParser
import Foundation
import JobQueue
import PostgresClient
import ServiceConfiguration
import TalentCore

/// `talentctl jobs show ID`: one job as the database records it.
struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show jobs.", subcommands: [Show.self], defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one job: kind, unit, status, outcome, times, deliveries (key<TAB>value lines).")

        @Argument(help: "The job id (a UUID, as in a 202's Location).") var id: String

        func run() async throws {
            guard let jobId = UUID(uuidString: id) else { throw ValidationError("\(id) is not a job id (a UUID)") }
            let environment = SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
            try await Reachability.require(.postgres, environment: environment)
            let pool = PostgresPool(configuration: environment.postgres(poolSize: 1))
            defer { pool.shutdown() }
            guard let job = try await JobStore(pool: pool).operatorView(id: jobId) else {
                FileHandle.standardError.write(Data("talentctl: no job \(jobId.uuidString.lowercased())\n".utf8))
                throw ExitCode(1)
            }
            let record = job.record
            let lines: [(String, String?)] = [
                ("id", record.id.uuidString.lowercased()), ("kind", record.kind), ("unit", job.unitId),
                ("status", record.status.rawValue), ("subject", record.subjectId?.uuidString.lowercased()),
                ("code", record.errorCode), ("detail", record.errorDetail), ("created", record.createdAt),
                ("published", record.publishedAt), ("finished", record.finishedAt),
                ("deliveries", String(job.deliveries)), ("republished", String(job.republished)),
            ]
            for (key, value) in lines { print("\(key)\t\(value ?? "-")") }
        }
    }
}
