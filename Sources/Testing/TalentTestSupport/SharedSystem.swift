import Foundation
import PostgresClient

/// One running system (gateway + worker processes) shared by the suites of one test process, started
/// on first use.
public actor SharedSystem {
    public static let instance = SharedSystem()
    private var starting: Task<TestSystem, any Error>?

    /// The running system; concurrent callers share one start-up.
    public func get() async throws -> TestSystem {
        if starting == nil {
            starting = Task {
                let created = TestSystem(environment: try TestEnvironment.current())
                try await created.start()
                return created
            }
        }
        return try await starting!.value
    }
}

extension TestSystem {
    /// Runs one query on the test database and returns its rows.
    public func rows(_ sql: String, _ parameters: [String] = []) async throws -> PostgresRows {
        try await pool.withConnection { connection in try connection.query(sql, parameters) }
    }

    /// Waits until `condition` holds, for at most `timeout`.
    public func wait(timeout: Duration = .seconds(180), until condition: () async throws -> Bool) async throws -> Bool {
        try await eventually(timeout: timeout, condition)
    }
}
