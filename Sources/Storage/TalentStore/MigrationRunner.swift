import Foundation
import PostgresClient

/// Applies numbered, forward-only SQL migrations (`schemas/migrations/NNNN_name.sql`) and tracks them
/// in `schema_migrations` (version, name, SHA-256 of the file, applied_at).
///
/// Each migration runs in its own transaction together with its tracking row, under an advisory
/// lock so that concurrent runners apply it once. An applied migration whose file changed is an
/// error: migrations are forward-only, a change is a new file.
public struct MigrationRunner: Sendable {
    public struct Migration: Sendable, Hashable {
        public var version: Int
        public var name: String
        public var sql: String
        public var checksum: String
    }

    public struct MigrationError: Error, Sendable, CustomStringConvertible {
        public enum Code: String, Sendable {
            case badFileName = "bad_file_name"
            case duplicateVersion = "duplicate_version"
            case checksumMismatch = "checksum_mismatch"
            case unreadable
        }
        public var code: Code
        public var message: String
        public var description: String { "\(code.rawValue): \(message)" }
    }

    /// Advisory lock key used while migrating (arbitrary, fixed).
    static let lockKey = 727_100_001

    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The migrations on disk, by version.
    /// - Throws: ``MigrationError``.
    public func migrations() throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        } catch {
            throw MigrationError(code: .unreadable, message: "cannot list \(directory.path)")
        }
        var result: [Migration] = []
        for name in names.sorted() {
            guard let underscore = name.firstIndex(of: "_"), let version = Int(name[..<underscore]) else {
                throw MigrationError(code: .badFileName, message: "\(name): expected NNNN_name.sql")
            }
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
                throw MigrationError(code: .unreadable, message: name)
            }
            let sql = String(decoding: data, as: UTF8.self)
            if result.contains(where: { $0.version == version }) {
                throw MigrationError(code: .duplicateVersion, message: "version \(version) appears twice")
            }
            result.append(
                Migration(
                    version: version, name: String(name.dropLast(4)), sql: sql,
                    checksum: SHA256Hex.of(data)))
        }
        return result
    }

    /// Migrations not yet applied, in order.
    /// - Throws: ``MigrationError/Code/checksumMismatch`` when an applied file changed; ``PostgresError``.
    /// Writes nothing (a dry run must not create the tracking table).
    public func pending(on connection: PostgresConnection) throws -> [Migration] {
        let tracked = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
        guard try tracked.first?.bool("present") == true else { return try migrations() }
        let applied = try connection.query("SELECT version, checksum FROM schema_migrations")
        var checksums: [Int: String] = [:]
        for row in applied.rows {
            if let version = try row.int("version") { checksums[version] = try row.string("checksum") }
        }
        var pending: [Migration] = []
        for migration in try migrations() {
            if let checksum = checksums[migration.version] {
                guard checksum == migration.checksum else {
                    throw MigrationError(
                        code: .checksumMismatch,
                        message: "\(migration.name) was applied with another content; add a new migration instead")
                }
            } else {
                pending.append(migration)
            }
        }
        return pending
    }

    /// Applies every pending migration; returns those applied. Holds a session advisory lock
    /// throughout, so concurrent runners (several processes starting at once) apply each file once.
    public func apply(on connection: PostgresConnection) throws -> [Migration] {
        try connection.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
        try ensureTable(connection)
        var applied: [Migration] = []
        for migration in try pending(on: connection) {
            let done = try connection.transaction { connection -> Bool in
                let exists = try connection.query(
                    "SELECT 1 FROM schema_migrations WHERE version = $1", [migration.version])
                guard exists.isEmpty else { return false }
                try connection.script(migration.sql)
                try connection.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [migration.version, migration.name, migration.checksum])
                return true
            }
            if done { applied.append(migration) }
        }
        return applied
    }

    private func ensureTable(_ connection: PostgresConnection) throws {
        try connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """)
    }
}
