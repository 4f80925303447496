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
    /// Lower-case text (`uuidString` goes through `sprintf` and an upper-case copy: this path binds
    /// every job id of every batch).
    public var postgresValue: PostgresValue {
        var text = [UInt8]()
        text.reserveCapacity(36)
        withUnsafeBytes(of: uuid) { bytes in
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
                text.append(hexDigits[Int(byte >> 4)])
                text.append(hexDigits[Int(byte & 0x0f)])
            }
        }
        return .text(String(decoding: text, as: UTF8.self))
    }
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

/// An array binds as one parameter in PostgreSQL's array literal (`{"a","b",NULL}`; every element
/// quoted, `"` and `\` escaped, `bytea` elements in hex): cast it in the statement, for example
/// `unnest($1::uuid[], $2::text[])`, to send a whole batch in one statement.
extension Array: PostgresBindable where Element: PostgresBindable {
    public var postgresValue: PostgresValue {
        var literal: [UInt8] = [UInt8(ascii: "{")]
        for (index, element) in self.enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            switch element.postgresValue {
            case .null:
                literal.append(contentsOf: "NULL".utf8)
            case .text(let text):
                literal.append(UInt8(ascii: "\""))
                for byte in text.utf8 {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { literal.append(UInt8(ascii: "\\")) }
                    literal.append(byte)
                }
                literal.append(UInt8(ascii: "\""))
            case .bytes(let bytes):
                // `\x` escaped once for the array literal: `"\\x0a1b…"`.
                literal.append(contentsOf: #""\\x"#.utf8)
                for byte in bytes {
                    literal.append(hexDigits[Int(byte >> 4)])
                    literal.append(hexDigits[Int(byte & 0x0f)])
                }
                literal.append(UInt8(ascii: "\""))
            }
        }
        literal.append(UInt8(ascii: "}"))
        return .text(String(decoding: literal, as: UTF8.self))
    }
}

/// Lower-case hex digits (ASCII) for `bytea` array elements.
private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
