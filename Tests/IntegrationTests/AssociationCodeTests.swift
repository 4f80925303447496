import Foundation
import PostgresClient
import TalentTestSupport
import Testing

/// Migration 0015: a unit whose drawn association code is taken draws again instead of failing.
@Suite("Association codes")
struct AssociationCodeTests {
    @Test func aTakenCodeIsDrawnAgain() async throws {
        let system = try await SharedSystem.instance.get()
        let first = Fixtures.unit(1, salt: "C")
        let second = Fixtures.unit(2, salt: "C")
        let taken = try await system.rows(
            "INSERT INTO units (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET last_seen = now() RETURNING association_code",
            [first.rawValue]
        ).rows[0].requiredString("association_code")
        let drawn = try await system.rows(
            """
            INSERT INTO units (id, association_code) VALUES ($1, $2)
            ON CONFLICT (id) DO UPDATE SET last_seen = now() RETURNING association_code
            """, [second.rawValue, taken]
        ).rows[0].requiredString("association_code")
        #expect(drawn != taken)
        #expect(drawn.count == 8)
    }
}
