import PostgresClient
import TalentCore

/// SQL for units (单位) as the gateway first sees them in identity tokens.
public enum UnitStore {
    /// Registers a unit on first sight (refreshing its name and last-seen time otherwise), in the
    /// caller's transaction.
    /// - Returns: the unit's association code (关联代码).
    /// - Throws: ``PostgresError``.
    @discardableResult
    public static func register(_ unitId: UnifiedSocialCreditCode, name: String?, on connection: PostgresConnection)
        throws -> String
    {
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
