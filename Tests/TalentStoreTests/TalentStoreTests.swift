import Foundation
import PostgresClient
import TalentCore
import TalentStore
import TalentTestSupport
import Testing

/// SQL per aggregate against the real test database: units, attachments and their idempotency keys,
/// and reads that refuse values this code does not know.
@Suite("Talent store")
struct TalentStoreTests {
    static func pool() async throws -> PostgresPool {
        let environment = try TestEnvironment.current()
        let pool = PostgresPool(configuration: .init(conninfo: environment.postgresConnInfo, size: 2))
        let runner = MigrationRunner(directory: environment.schemasDirectory.appendingPathComponent("migrations"))
        _ = try await pool.withConnection { connection in try runner.apply(on: connection).count }
        return pool
    }

    @Test func aUnitKeepsItsAssociationCode() async throws {
        let pool = try await Self.pool()
        defer { pool.shutdown() }
        let unit = Fixtures.unit(501, salt: "M")
        let first = try await pool.transaction { connection in
            try UnitStore.register(unit, name: "第一名称", on: connection)
        }
        let second = try await pool.transaction { connection in
            try UnitStore.register(unit, name: nil, on: connection)
        }
        #expect(first == second)
        #expect(!first.isEmpty)
    }

    /// A known unit seen within the minute under the same name is only read (no row lock, no write);
    /// a new name is written, and a token without a name keeps the stored one.
    @Test func aKnownUnitIsReadNotWritten() async throws {
        let pool = try await Self.pool()
        defer { pool.shutdown() }
        let unit = Fixtures.unit(502, salt: "M")
        let name = try await pool.transaction { connection -> String? in
            try UnitStore.register(unit, name: "旧名称", on: connection)
            let before = try connection.query("SELECT xmin::text AS x FROM units WHERE id = $1", [unit.rawValue])
            try UnitStore.register(unit, name: "旧名称", on: connection)
            try UnitStore.register(unit, name: nil, on: connection)
            let after = try connection.query("SELECT xmin::text AS x FROM units WHERE id = $1", [unit.rawValue])
            #expect(try before.first?.string("x") == after.first?.string("x"))
            try UnitStore.register(unit, name: "新名称", on: connection)
            return try connection.query("SELECT name FROM units WHERE id = $1", [unit.rawValue]).first?.string("name")
        }
        #expect(name == "新名称")
    }

    /// The benchmark's bulk fixtures file one pending request per distinct applicant.
    @Test func benchmarkFixturesFilePendingRequests() async throws {
        let pool = try await Self.pool()
        defer { pool.shutdown() }
        let unit = Fixtures.unit(503, salt: "M")
        let numbers = (0..<20).compactMap {
            ResidentIdentityNumber.make(
                region: "110105", birthDate: CalendarDate(year: 1990, month: 1, day: 1 + $0 % 28)!,
                sequence: Int.random(in: 0...999))
        }
        let applicants = (numbers + [numbers[0]]).map { BenchmarkFixtures.Applicant(number: $0, name: "测试") }
        let ids = try await pool.transaction { connection in
            try BenchmarkFixtures.insertPendingRequests(
                unitId: unit, unitName: "基准单位", applicants: applicants, on: connection)
        }
        #expect(ids.count == Set(numbers.map(\.rawValue)).count)
        let pending = try await pool.withConnection { connection in
            try connection.query(
                "SELECT count(*) AS n FROM associations WHERE id = ANY($1::uuid[]) AND unit_id = $2 AND state = 'pending'",
                [ids, unit.rawValue]
            ).first?.int("n")
        }
        #expect(pending == ids.count)
    }

    /// The first request of an idempotency key stores the attachment; a second one stores nothing and
    /// names the first request's attachment and job.
    @Test func anIdempotencyKeyIsClaimedOnce() async throws {
        let pool = try await Self.pool()
        defer { pool.shutdown() }
        let unit = Fixtures.unit(502, salt: "M")
        let key = IdempotencyKey(caller: "unit:\(unit.rawValue)", key: "key-\(UUID().uuidString)", requestHash: "hash")
        let firstJob = UUID()
        let first = NewAttachment(unitId: unit, unitName: nil, kind: .other, fileName: "a.pdf", content: [1, 2, 3])
        let created = try await pool.transaction { connection in
            try UnitStore.register(unit, name: nil, on: connection)
            return try AttachmentStore.create(first, jobId: firstJob, idempotencyKey: key, on: connection)
        }
        guard case .created(let record) = created else {
            Issue.record("the first request was not stored")
            return
        }
        #expect(record.byteCount == 3)
        let second = NewAttachment(unitId: unit, unitName: nil, kind: .other, fileName: "b.pdf", content: [4])
        let replayed = try await pool.transaction { connection in
            try AttachmentStore.create(second, jobId: UUID(), idempotencyKey: key, on: connection)
        }
        guard case .replay(let replay) = replayed else {
            Issue.record("a second request with the same key stored another attachment")
            return
        }
        #expect(replay.subjectId == record.id)
        #expect(replay.jobId == firstJob)
        #expect(
            try await AttachmentStore(pool: pool).content(attachmentId: record.id, unitId: unit)?.bytes == [1, 2, 3])
    }

    /// A stored value this version does not know is an error, never a default (before: an unknown
    /// association state read as `pending`, an unknown sex as `male`).
    @Test func unknownStoredValuesAreErrors() async throws {
        let pool = try await Self.pool()
        defer { pool.shutdown() }
        let row = try #require(
            try await pool.withConnection { connection in
                try connection.query("SELECT 'suspended' AS state, 'x' AS sex, NULL::text AS none").first
            })
        #expect(throws: PostgresError.self) { _ = try row.required("state", as: AssociationState.self) }
        #expect(throws: PostgresError.self) { _ = try row.required("sex", as: Sex.self) }
        #expect(throws: PostgresError.self) { _ = try row.required("none", as: Sex.self) }
        #expect(try row.optional("none", as: Sex.self) == nil)
    }
}
