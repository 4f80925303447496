import Foundation

/// A statement parameter: text (PostgreSQL parses it as the parameter's type), raw bytes (sent in
/// binary format, for `bytea`), or SQL NULL.
public enum PostgresValue: Sendable, Hashable {
    case text(String)
    case bytes([UInt8])
    case null
}

/// Types that bind as statement parameters.
public protocol PostgresBindable {
    var postgresValue: PostgresValue { get }
}

extension String: PostgresBindable {
    public var postgresValue: PostgresValue { .text(self) }
}
extension Int: PostgresBindable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}
extension Int64: PostgresBindable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}
extension Bool: PostgresBindable {
    public var postgresValue: PostgresValue { .text(self ? "t" : "f") }
}
extension UUID: PostgresBindable {
    public var postgresValue: PostgresValue { .text(uuidString.lowercased()) }
}
extension Date: PostgresBindable {
    /// Bound as an ISO 8601 UTC timestamp with milliseconds.
    public var postgresValue: PostgresValue {
        .text(self.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}
extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    public var postgresValue: PostgresValue { self?.postgresValue ?? .null }
}
extension PostgresValue: PostgresBindable {
    public var postgresValue: PostgresValue { self }
}
