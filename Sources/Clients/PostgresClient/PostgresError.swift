/// An error from PostgreSQL or libpq, with the SQLSTATE when the server sent one.
///
/// `message` is for logs only: it can contain SQL fragments and values, and must never reach a client.
/// So ``description`` names the code and SQLSTATE only; ``debugDescription`` (`String(reflecting:)`,
/// for logs) adds the server's text — the split postgres-nio's `PSQLError` makes.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Code: String, Sendable {
        /// Could not connect, or the connection broke; the statement may or may not have run.
        case connectionFailed = "connection_failed"
        /// The server rejected the statement (see ``sqlState``).
        case statementFailed = "statement_failed"
        /// The result did not have the expected shape (for example a missing column).
        case unexpectedResult = "unexpected_result"
        /// The pool is shut down.
        case poolClosed = "pool_closed"
    }

    public var code: Code
    /// Five-character SQLSTATE, for example `23505` (unique_violation).
    public var sqlState: SQLState?
    public var message: String

    public init(code: Code, sqlState: SQLState? = nil, message: String) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
    }

    /// Generic: the code and SQLSTATE, never the server's text.
    public var description: String {
        "PostgresError(\(code.rawValue)\(sqlState.map { ", SQLSTATE \($0.rawValue)" } ?? ""))"
    }

    /// With the server's or libpq's message, for logs.
    public var debugDescription: String {
        "PostgresError(\(code.rawValue)\(sqlState.map { ", SQLSTATE \($0.rawValue)" } ?? ""): \(message)"
    }
}

/// A PostgreSQL SQLSTATE code (PostgreSQL documentation, appendix A).
public struct SQLState: RawRepresentable, Hashable, Sendable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let serializationFailure = SQLState(rawValue: "40001")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let adminShutdown = SQLState(rawValue: "57P01")
    public static let cannotConnectNow = SQLState(rawValue: "57P03")

    /// Class 08 (connection exception) and class 57P (operator intervention): worth a retry on a new connection.
    public var isConnectionLoss: Bool { rawValue.hasPrefix("08") || rawValue.hasPrefix("57P") }
    /// Serialization failures and deadlocks: the transaction may succeed if run again.
    public var isTransient: Bool { self == .serializationFailure || self == .deadlockDetected || isConnectionLoss }
}
