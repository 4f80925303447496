import Foundation
import PostgresClient
import TalentTestSupport
import Testing

@Suite("PostgreSQL client")
struct PostgresClientTests {
    /// Parameters in, values out, in both result formats; `bytea` comes back as its bytes in libpq's
    /// binary format and is never hex-decoded from text.
    @Test(arguments: [PostgresResultFormat.text, .binary])
    func parametersAndValuesRoundTrip(format: PostgresResultFormat) async throws {
        let environment = try TestEnvironment.current()
        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 2))
        defer { pool.shutdown() }
        let bytes = (0...255).map(UInt8.init) + [0, 0, 255]
        let id = UUID()
        let result = try await pool.withConnection { connection in
            try connection.query(
                """
                SELECT $1::bytea AS b, $2::text AS t, $3::int AS i, $4::bool AS f, $5::uuid AS u, $6::text AS n,
                       (-70000)::int4 AS negative, 9000000000::int8 AS big, (-2)::int2 AS small
                """,
                [PostgresValue.bytes(bytes), "統一 'quoted' $1", 42, true, id, String?.none], results: format)
        }
        let row = try #require(result.first)
        if format == .binary {
            #expect(try row.bytes("b") == bytes)
        } else {
            #expect(throws: PostgresError.self, "text-format bytea must not be decoded by hand") {
                _ = try row.bytes("b")
            }
        }
        #expect(try row.string("t") == "統一 'quoted' $1")
        #expect(try row.int("i") == 42)
        #expect(try row.int("negative") == -70_000)
        #expect(try row.int("big") == 9_000_000_000)
        #expect(try row.int("small") == -2)
        #expect(try row.bool("f") == true)
        #expect(try row.uuid("u") == id)
        #expect(try row.string("n") == nil)
    }

    /// Arrays bind as one parameter (PostgreSQL's array literal): every text survives quotes,
    /// backslashes, commas, braces, `NULL` as a word and as a value, empty strings and Chinese text;
    /// uuids and bytes come back as sent, in order.
    @Test func arraysBindAsOneParameter() async throws {
        let environment = try TestEnvironment.current()
        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 1))
        defer { pool.shutdown() }
        let texts: [String?] = [
            "plain", "with \"quotes\"", #"back\slash"#, "a,b", "{braces}", "NULL", nil, "", "统一社会信用代码", " spaced ",
        ]
        let ids = (0..<5).map { _ in UUID() }
        let blobs: [[UInt8]] = [[0, 1, 2, 255], [], Array("\\x".utf8)]
        let rows = try await pool.withConnection { connection in
            (
                try connection.query(
                    "SELECT t, n FROM unnest($1::text[]) WITH ORDINALITY AS a(t, n) ORDER BY n", [texts]),
                try connection.query(
                    "SELECT u FROM unnest($1::uuid[]) WITH ORDINALITY AS a(u, n) ORDER BY n", [ids]),
                try connection.query(
                    "SELECT b FROM unnest($1::bytea[]) WITH ORDINALITY AS a(b, n) ORDER BY n",
                    [blobs.map(PostgresValue.bytes)], results: .binary)
            )
        }
        #expect(try rows.0.rows.map { try $0.string("t") } == texts)
        #expect(try rows.1.rows.map { try $0.uuid("u") } == ids)
        #expect(try rows.2.rows.map { try $0.bytes("b") } == blobs)
    }

    /// A uuid's text binding and parsing agree with Foundation's, in either case, and malformed text
    /// is refused.
    @Test func uuidTextBothWays() async throws {
        let environment = try TestEnvironment.current()
        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 1))
        defer { pool.shutdown() }
        let id = UUID()
        #expect(id.postgresValue == .text(id.uuidString.lowercased()))
        let row = try await pool.withConnection { connection in
            try connection.query(
                "SELECT $1::uuid AS u, upper($1::text) AS upper, 'not-a-uuid' AS bad, $2::text AS short",
                [id, String(id.uuidString.dropLast())]
            ).first
        }
        let result = try #require(row)
        #expect(try result.uuid("u") == id)
        #expect(try result.uuid("upper") == id)
        #expect(throws: PostgresError.self) { _ = try result.uuid("bad") }
        #expect(throws: PostgresError.self) { _ = try result.uuid("short") }
    }

    @Test func errorsCarryTheSQLStateAndTransactionsRollBack() async throws {
        let environment = try TestEnvironment.current()
        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 1))
        defer { pool.shutdown() }
        let table = "client_test_\(UInt32.random(in: 0...UInt32.max))"
        try await pool.withConnection { connection in
            try connection.query("CREATE TABLE \(table) (id int PRIMARY KEY)")
        }
        await #expect(throws: PostgresError.self) {
            try await pool.transaction { connection in
                try connection.execute(prepared: "ins", "INSERT INTO \(table) VALUES ($1)", [1])
                try connection.execute(prepared: "ins", "INSERT INTO \(table) VALUES ($1)", [1])
            }
        }
        do {
            try await pool.withConnection { connection in
                try connection.query("INSERT INTO \(table) VALUES (2), (2)")
            }
        } catch let error as PostgresError {
            #expect(error.sqlState == .uniqueViolation)
            #expect(error.code == .statementFailed)
        }
        let count = try await pool.withConnection { connection in
            try connection.query("SELECT count(*) AS n FROM \(table)").first?.int("n")
        }
        #expect(count == 0, "the failed transaction left rows behind")
    }

    @Test func unreachableServerIsAConnectionError() async throws {
        let pool = PostgresPool(configuration: .init(conninfo: "host=127.0.0.1 port=1 connect_timeout=2", size: 1))
        defer { pool.shutdown() }
        do {
            _ = try await pool.withConnection { connection in try connection.query("SELECT 1").rows.count }
            Issue.record("expected a connection error")
        } catch let error as PostgresError {
            #expect(error.code == .connectionFailed)
        }
    }

    /// A job abandoned by its time limit must give its pool thread back: cancelling the task cancels
    /// the running statement on the server, and the next call gets the thread.
    @Test func cancellingARunningCallCancelsItsStatement() async throws {
        let environment = try TestEnvironment.current()
        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 1))
        defer { pool.shutdown() }
        _ = try await pool.withConnection { connection in try connection.query("SELECT 1").rows.count }
        let sleeper = Task {
            try await pool.transaction { connection in try connection.query("SELECT pg_sleep(20)").rows.count }
        }
        // Wait until the statement runs on the server, then cancel the task.
        for _ in 0..<100 {
            let running = try await Self.sessionsRunning("pg_sleep(20)", environment)
            if running > 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        sleeper.cancel()
        do {
            _ = try await sleeper.value
            Issue.record("the cancelled statement ran to its end")
        } catch let error as PostgresError {
            #expect(error.sqlState == SQLState(rawValue: "57014"), "\(String(reflecting: error))")
        }
        let next = try await pool.withConnection { connection in try connection.query("SELECT 2 AS n").first?.int("n") }
        #expect(next == 2)
    }

    /// A call still waiting for a thread is answered with `CancellationError` and never runs.
    @Test func cancellingAWaitingCallNeverRunsIt() async throws {
        let environment = try TestEnvironment.current()
        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 1))
        defer { pool.shutdown() }
        let table = "pool_cancel_\(UInt32.random(in: 0...UInt32.max))"
        try await pool.withConnection { connection in try connection.query("CREATE TABLE \(table) (n int)") }
        let busy = Task { try await pool.withConnection { connection in try connection.query("SELECT pg_sleep(1)") } }
        try await Task.sleep(for: .milliseconds(200))
        let waiting = Task {
            try await pool.withConnection { connection in try connection.query("INSERT INTO \(table) VALUES (1)") }
        }
        try await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiting.value }
        _ = try await busy.value
        let count = try await pool.withConnection { connection in
            try connection.query("SELECT count(*) AS n FROM \(table)").first?.int("n")
        }
        #expect(count == 0, "a cancelled call ran after all")
        try await pool.withConnection { connection in try connection.query("DROP TABLE \(table)") }
    }

    /// A task cancelled before it calls in is answered with `CancellationError` (its cancellation
    /// handler runs before the continuation exists; the call must not wait forever).
    @Test func aCallFromACancelledTaskIsAnswered() async throws {
        let environment = try TestEnvironment.current()
        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 1))
        defer { pool.shutdown() }
        let call = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pool.withConnection { connection in try connection.query("SELECT 1").rows.count }
        }
        await #expect(throws: CancellationError.self) { _ = try await call.value }
    }

    /// `description` never carries the server's text (it can hold SQL and values); `debugDescription` does.
    @Test func errorDescriptionsAreGeneric() async throws {
        let environment = try TestEnvironment.current()
        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 1))
        defer { pool.shutdown() }
        do {
            try await pool.withConnection { connection in try connection.query("SELECT secret_column_xyz FROM pg_class")
            }
            Issue.record("expected an error")
        } catch let error as PostgresError {
            #expect(!error.description.contains("secret_column_xyz"))
            #expect(error.description.contains("42703"))
            #expect(String(reflecting: error).contains("secret_column_xyz"))
        }
    }

    static func sessionsRunning(_ text: String, _ environment: TestEnvironment) async throws -> Int {
        let observer = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 1))
        defer { observer.shutdown() }
        return try await observer.withConnection { connection in
            try connection.query(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1",
                ["%" + text + "%"]
            ).first?.int("n") ?? 0
        } - 1  // this query matches itself
    }
}
