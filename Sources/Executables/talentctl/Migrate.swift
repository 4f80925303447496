import ArgumentParser
import Foundation
import PostgresClient
import ServiceConfiguration
import TalentStore

/// `talentctl migrate [--dry-run]`: applies pending migrations from `TALENT_SCHEMAS_DIR/migrations`.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending SQL migrations (forward-only, tracked in schema_migrations).")

    @Flag(help: "List pending migrations without applying them; exit 1 when any is pending.")
    var dryRun = false

    func run() async throws {
        let environment = SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
        let runner = MigrationRunner(directory: environment.schemasDirectory.appendingPathComponent("migrations"))
        // libpq blocks: run it on the pool's dedicated thread, not on the cooperative pool.
        let pool = PostgresPool(configuration: environment.postgres(poolSize: 1))
        defer { pool.shutdown() }
        if dryRun {
            let pending = try await pool.withConnection { connection in try runner.pending(on: connection) }
            for migration in pending { print("pending\t\(migration.name)") }
            if pending.isEmpty {
                print("up to date")
            } else {
                throw ExitCode(1)
            }
        } else {
            let applied = try await pool.withConnection { connection in try runner.apply(on: connection) }
            for migration in applied { print("applied\t\(migration.name)") }
            if applied.isEmpty { print("up to date") }
        }
    }
}
