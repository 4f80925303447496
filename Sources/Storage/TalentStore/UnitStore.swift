import PostgresClient
import TalentCore

/// SQL for units (单位) as the gateway first sees them in identity tokens.
public enum UnitStore {
    /// How stale `last_seen` may get before a request refreshes it, in seconds.
    public static let lastSeenResolutionSeconds = 60

    /// Registers a unit on first sight, in the caller's transaction; refreshes its name when the token
    /// carries another one, and its last-seen time when older than ``lastSeenResolutionSeconds``.
    ///
    /// The common case (a known unit, same name, seen within the minute) only reads: every job of a
    /// unit passes here, and an update would hold the unit's row lock until commit, serialising all of
    /// that unit's requests behind one another's commits.
    /// - Returns: the unit's association code (关联代码).
    /// - Throws: ``PostgresError``.
    @discardableResult
    public static func register(_ unitId: UnifiedSocialCreditCode, name: String?, on connection: PostgresConnection)
        throws -> String
    {
        let known = try connection.execute(
            prepared: "unit_known",
            """
            SELECT association_code FROM units
            WHERE id = $1 AND ($2::text IS NULL OR name = $2)
              AND last_seen > now() - make_interval(secs => $3)
            """, [unitId.rawValue, name, lastSeenResolutionSeconds])
        if let row = known.first { return try row.requiredString("association_code") }
        let rows = try connection.execute(
            prepared: "unit_upsert",
            """
            INSERT INTO units (id, name) VALUES ($1, $2)
            ON CONFLICT (id) DO UPDATE SET last_seen = now(), name = COALESCE(EXCLUDED.name, units.name)
            RETURNING association_code
            """, [unitId.rawValue, name])
        return try rows.first.orThrow().requiredString("association_code")
    }
}
