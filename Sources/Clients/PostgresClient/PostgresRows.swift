import Foundation

/// The rows of a statement's result, in text format, copied out of libpq's result.
public struct PostgresRows: Sendable {
    public let columns: [String]
    public let rows: [PostgresRow]
    /// Rows affected (`PQcmdTuples`) for INSERT/UPDATE/DELETE, else 0.
    public let affectedRows: Int

    public var first: PostgresRow? { rows.first }
    public var isEmpty: Bool { rows.isEmpty }
}

/// One row; columns are addressed by name.
public struct PostgresRow: Sendable {
    let columnIndex: [String: Int]
    let values: [String?]

    init(columnIndex: [String: Int], values: [String?]) {
        self.columnIndex = columnIndex
        self.values = values
    }

    /// The column's text value, `nil` for NULL.
    /// - Throws: ``PostgresError/Code/unexpectedResult`` when there is no such column.
    public func string(_ column: String) throws(PostgresError) -> String? {
        guard let index = columnIndex[column] else {
            throw PostgresError(code: .unexpectedResult, message: "no column \(column)")
        }
        return values[index]
    }

    /// A non-NULL text column.
    public func requiredString(_ column: String) throws(PostgresError) -> String {
        guard let value = try string(column) else {
            throw PostgresError(code: .unexpectedResult, message: "column \(column) is NULL")
        }
        return value
    }

    public func int(_ column: String) throws(PostgresError) -> Int? {
        guard let text = try string(column) else { return nil }
        guard let value = Int(text) else {
            throw PostgresError(code: .unexpectedResult, message: "column \(column) is not an integer")
        }
        return value
    }

    public func bool(_ column: String) throws(PostgresError) -> Bool? {
        guard let text = try string(column) else { return nil }
        return text == "t"
    }

    public func uuid(_ column: String) throws(PostgresError) -> UUID? {
        guard let text = try string(column) else { return nil }
        guard let value = UUID(uuidString: text) else {
            throw PostgresError(code: .unexpectedResult, message: "column \(column) is not a uuid")
        }
        return value
    }

    /// A `bytea` column (text format `\x` hex) decoded to bytes.
    public func bytes(_ column: String) throws(PostgresError) -> [UInt8]? {
        guard let text = try string(column) else { return nil }
        var utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw PostgresError(code: .unexpectedResult, message: "column \(column) is not hex bytea")
        }
        utf8.removeFirst(2)
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = Self.hexValue(utf8[index]), let low = Self.hexValue(utf8[index + 1]) else {
                throw PostgresError(code: .unexpectedResult, message: "column \(column) is not hex bytea")
            }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 97...102: byte - 87
        case 65...70: byte - 55
        default: nil
        }
    }
}

extension PostgresRow {
    /// A non-NULL text column read as `Value` (an enum stored by its raw value).
    /// - Throws: ``PostgresError/Code/unexpectedResult`` when the column is NULL or holds a value this
    ///   code does not know: a stored value is never silently read as a default.
    public func required<Value: RawRepresentable>(_ column: String, as type: Value.Type) throws(PostgresError)
        -> Value
    where Value.RawValue == String {
        let text = try requiredString(column)
        guard let value = Value(rawValue: text) else {
            throw PostgresError(code: .unexpectedResult, message: "\(column) holds an unknown value '\(text)'")
        }
        return value
    }

    /// A nullable text column read as `Value`; `nil` only for NULL.
    /// - Throws: ``PostgresError/Code/unexpectedResult`` for a value this code does not know.
    public func optional<Value: RawRepresentable>(_ column: String, as type: Value.Type) throws(PostgresError)
        -> Value?
    where Value.RawValue == String {
        guard try string(column) != nil else { return nil }
        return try required(column, as: type)
    }

    /// A non-NULL uuid column. - Throws: ``PostgresError/Code/unexpectedResult`` when NULL.
    public func requiredUUID(_ column: String) throws(PostgresError) -> UUID {
        guard let value = try uuid(column) else {
            throw PostgresError(code: .unexpectedResult, message: "\(column) is NULL")
        }
        return value
    }
}

extension Optional where Wrapped == PostgresRow {
    /// The row a statement with `RETURNING` (or a lookup that cannot miss) must have produced.
    /// - Throws: ``PostgresError/Code/unexpectedResult``.
    public func orThrow() throws(PostgresError) -> PostgresRow {
        guard let self else { throw PostgresError(code: .unexpectedResult, message: "expected a row") }
        return self
    }
}
