import Foundation
import PostgresClient
import TalentCore

/// Bulk data for the benchmark command (`scripts/bench.sh`): many pending association requests for
/// one unit, written with set-based statements so that preparing a 100,000-job backlog takes seconds.
/// Never used by the gateway or the workers.
public enum BenchmarkFixtures {
    /// A person to file a pending request for: a validated resident identity number and a name.
    public struct Applicant: Sendable {
        public var number: ResidentIdentityNumber
        public var name: String

        public init(number: ResidentIdentityNumber, name: String) {
            self.number = number
            self.name = name
        }
    }

    /// Registers the unit, upserts the applicants (by resident identity number) and files one pending
    /// request per applicant with the unit, in the caller's transaction.
    /// - Returns: the new associations' ids, in the applicants' order; an applicant whose number came
    ///   earlier in the list is skipped.
    /// - Throws: ``PostgresError`` (`unique_violation` when an applicant already has an open request
    ///   with this unit).
    public static func insertPendingRequests(
        unitId: UnifiedSocialCreditCode, unitName: String, applicants: [Applicant], on connection: PostgresConnection
    ) throws -> [UUID] {
        try UnitStore.register(unitId, name: unitName, on: connection)
        var seen = Set<String>()
        let applicants = applicants.filter { seen.insert($0.number.rawValue).inserted }
        guard !applicants.isEmpty else { return [] }
        let persons = try connection.query(
            """
            INSERT INTO persons (id, resident_id, name, birth_date, sex)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::text[])
            ON CONFLICT (resident_id) DO UPDATE SET name = EXCLUDED.name
            RETURNING id, resident_id
            """,
            [
                applicants.map { _ in UUID() }, applicants.map(\.number.rawValue), applicants.map(\.name),
                applicants.map(\.number.birthDate), applicants.map(\.number.sex.rawValue),
            ])
        var personIds: [String: UUID] = [:]
        for row in persons.rows { personIds[try row.requiredString("resident_id")] = try row.requiredUUID("id") }
        let ids = applicants.map { _ in UUID() }
        let filed = applicants.compactMap { personIds[$0.number.rawValue] }
        guard filed.count == applicants.count else {
            throw PostgresError(code: .unexpectedResult, message: "an applicant was not stored")
        }
        try connection.query(
            """
            INSERT INTO associations (id, unit_id, person_id, state, requested_at)
            SELECT id, $2, person_id, 'pending', now() FROM unnest($1::uuid[], $3::uuid[]) AS f(id, person_id)
            """, [ids, unitId.rawValue, filed])
        return ids
    }

    /// `count` distinct, checksum-valid unified social credit codes (GB 32100-2015) whose
    /// organisation codes start with `salt` (one of `UnifiedSocialCreditCode`'s characters), for bulk
    /// units: the rest of the body counts up in base 31.
    public static func unitCodes(count: Int, salt: Character) -> [UnifiedSocialCreditCode] {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        return (0..<count).compactMap { index in
            var n = index
            var digits: [Character] = []
            for _ in 0..<7 {
                digits.append(alphabet[n % 31])
                n /= 31
            }
            return UnifiedSocialCreditCode.make(organisationBody: String(salt) + String(digits.reversed()))
        }
    }

    /// Registers `codes` as units (names from their codes), 50,000 per statement, in the caller's
    /// transaction; codes already registered are skipped.
    /// - Returns: the units inserted.
    public static func insertUnits(_ codes: [UnifiedSocialCreditCode], on connection: PostgresConnection) throws
        -> Int
    {
        var inserted = 0
        var start = 0
        while start < codes.count {
            let slice = codes[start..<min(start + 50_000, codes.count)].map(\.rawValue)
            inserted += try connection.execute(
                prepared: "bench_insert_units",
                """
                INSERT INTO units (id, name) SELECT id, '示例单位' || right(id, 6) FROM unnest($1::text[]) AS u(id)
                ON CONFLICT (id) DO NOTHING
                """, [slice]
            ).affectedRows
            start += 50_000
        }
        return inserted
    }

    /// Gives every unit of `codes` without a profile `profile` as its complete, current profile (one
    /// statement per 50,000 units), in the caller's transaction: bulk units the eligibility rules
    /// evaluate in full.
    /// - Returns: the units updated.
    public static func completeProfiles(
        _ codes: [UnifiedSocialCreditCode], profile: UnitProfile, on connection: PostgresConnection
    ) throws -> Int {
        let json = String(decoding: try JSONEncoder().encode(profile), as: UTF8.self)
        var updated = 0
        var start = 0
        while start < codes.count {
            let slice = codes[start..<min(start + 50_000, codes.count)].map(\.rawValue)
            updated += try connection.execute(
                prepared: "bench_complete_profiles",
                """
                UPDATE units SET profile = $2::jsonb, profile_status = 'complete', profile_completed_at = now(),
                                 profile_updated_at = now()
                WHERE id = ANY($1::text[]) AND profile IS NULL
                """, [slice, json]
            ).affectedRows
            start += 50_000
        }
        return updated
    }
}
