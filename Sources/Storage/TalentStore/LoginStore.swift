import Foundation
import PostgresClient
import TalentCore

/// Records logins (PRODUCT.md §1: the gateway "records every login").
public struct LoginStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Records the first use of a token; later uses of the same token change nothing. The first login
    /// of an unknown unit registers it, with its profile incomplete (manual §2).
    /// - Parameter tokenSHA256: SHA-256 (hex) of the token; the token itself is never stored.
    public func record(
        tokenSHA256: String, unitId: UnifiedSocialCreditCode, unitName: String?, operatorId: String,
        loginMethod: String, issuedAt: Date?
    ) async throws {
        _ = try await pool.transaction { connection in
            try UnitStore.register(unitId, name: unitName, on: connection)
            return try connection.execute(
                prepared: "login_record",
                """
                INSERT INTO logins (token_sha256, unit_id, unit_name, operator_id, login_method, issued_at)
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (token_sha256) DO NOTHING
                """, [tokenSHA256, unitId.rawValue, unitName, operatorId, loginMethod, issuedAt])
        }
    }
}
