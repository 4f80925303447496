import Foundation
import PostgresClient
import TalentAPI
import TalentCore

/// SQL for business items (业务事项, manual §7) reported by the restricted services' business
/// systems: the unit's in-progress list reads them, and so do the unlink pre-check
/// (``AssociationStore/unlinkFacts(associationId:unitId:on:)``) and the permit holder count of the
/// eligibility rules (``EligibilityStore``): one table for all three.
public struct BusinessItemStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    // MARK: Effects (eligibility worker), in the caller's transaction

    /// Records business items reported by `actor` (units not seen before are created). An item is keyed
    /// by its reporter and reference; a report older than the stored one (``BusinessItem/updatedAt``)
    /// is ignored, and an item never moves to another unit.
    /// - Returns: how many reports changed an item.
    public static func recordBusinessItems(
        _ items: [BusinessItem], by actor: String, jobId: UUID, on connection: PostgresConnection
    ) throws -> Int {
        guard !items.isEmpty else { return 0 }
        try connection.execute(
            prepared: "business_items_units",
            "INSERT INTO units (id) SELECT unnest($1::text[]) ON CONFLICT (id) DO NOTHING",
            [Array(Set(items.map(\.unitId.rawValue))).sorted()])
        // The newest report per reference wins within the batch too.
        var newest: [String: BusinessItem] = [:]
        for item in items where (newest[item.reference]?.updatedAt ?? .distantPast) < item.updatedAt {
            newest[item.reference] = item
        }
        let batch = newest.values.sorted { $0.reference < $1.reference }
        return try connection.execute(
            prepared: "business_items_record",
            """
            INSERT INTO business_items AS b (id, unit_id, service, reference, submitted_by, resident_id, title,
                                             status, updated_at, job_id)
            SELECT gen_random_uuid(), u, s, r, $8, p, t, st, at, $9
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
                 AS x (u, s, r, p, t, st, at)
            ON CONFLICT (submitted_by, reference) DO UPDATE
            SET service = excluded.service, resident_id = excluded.resident_id,
                title = COALESCE(excluded.title, b.title), status = excluded.status,
                updated_at = excluded.updated_at, job_id = excluded.job_id
            WHERE b.unit_id = excluded.unit_id AND b.updated_at < excluded.updated_at
            """,
            [
                batch.map(\.unitId.rawValue), batch.map(\.service.rawValue), batch.map(\.reference),
                batch.map(\.residentId), batch.map(\.title), batch.map(\.status.rawValue), batch.map(\.updatedAt),
                actor, jobId,
            ]
        ).affectedRows
    }

    // MARK: Reads (gateway)

    /// The unit's items in progress, newest first (then by id: stable across pages).
    public func inProgress(unitId: UnifiedSocialCreditCode, limit: Int, offset: Int) async throws
        -> Page<BusinessItemView>
    {
        try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "business_items_in_progress",
                """
                SELECT b.id, b.reference, b.service, b.status, b.title, b.resident_id, p.name, b.submitted_by,
                       \(PostgresTimestamp.rfc3339("b.created_at")), \(PostgresTimestamp.rfc3339("b.updated_at")),
                       count(*) OVER () AS total
                FROM business_items b LEFT JOIN persons p ON p.resident_id = b.resident_id
                WHERE b.unit_id = $1 AND b.status = 'in_progress'
                ORDER BY b.updated_at DESC, b.id LIMIT $2 OFFSET $3
                """, [unitId.rawValue, limit, offset])
            var total = try rows.first?.int("total") ?? 0
            if rows.isEmpty, offset > 0 {
                total =
                    try connection.execute(
                        prepared: "business_items_in_progress_count",
                        "SELECT count(*) AS n FROM business_items WHERE unit_id = $1 AND status = 'in_progress'",
                        [unitId.rawValue]
                    ).first?.int("n") ?? 0
            }
            let items = try rows.rows.map { row in
                BusinessItemView(
                    id: try row.requiredUUID("id"), reference: try row.requiredString("reference"),
                    service: try row.required("service", as: RestrictedService.self),
                    status: try row.required("status", as: BusinessItem.Status.self), title: try row.string("title"),
                    employee: try row.string("resident_id").map {
                        BusinessItemView.Employee(residentIdMasked: Self.mask($0), name: try row.string("name"))
                    }, reportedBy: try row.requiredString("submitted_by"),
                    createdAt: try row.requiredString("created_at"), updatedAt: try row.requiredString("updated_at"))
            }
            return Page(items: items, total: total, limit: limit, offset: offset)
        }
    }

    /// A resident identity number with all but its first 6 and last 4 characters replaced by `*`.
    static func mask(_ residentId: String) -> String {
        guard residentId.count > 10 else { return String(repeating: "*", count: residentId.count) }
        return String(residentId.prefix(6)) + String(repeating: "*", count: residentId.count - 10)
            + String(residentId.suffix(4))
    }
}
