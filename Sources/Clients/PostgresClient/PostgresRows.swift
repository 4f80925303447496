import Foundation

/// The format libpq returns a statement's columns in (`resultFormat` of `PQexecParams`).
public enum PostgresResultFormat: Int32, Sendable {
    /// Text (the default): every type readable as text.
    case text = 0
    /// Binary: `bytea` as its bytes; the typed accessors read `text`/`varchar`, `int2`/`int4`/`int8`,
    /// `bool`, `uuid` and `bytea`, and refuse other types (select them as text in the SQL).
    case binary = 1
}

/// The rows of a statement's result, copied out of libpq's result.
public struct PostgresRows: Sendable {
    public let columns: [String]
    public let rows: [PostgresRow]
    /// Rows affected (`PQcmdTuples`) for INSERT/UPDATE/DELETE, else 0.
    public let affectedRows: Int

    public var first: PostgresRow? { rows.first }
    public var isEmpty: Bool { rows.isEmpty }
}

/// One row; columns are addressed by name. Every accessor throws ``PostgresError/Code/unexpectedResult``
/// when there is no such column or its value is not of the type asked for.
public struct PostgresRow: Sendable {
    /// A column's type (`PQftype`) and format (`PQfformat`).
    struct ColumnType: Sendable {
        var oid: UInt32
        var binary: Bool
    }

    // Type OIDs (PostgreSQL's pg_type.dat).
    static let boolOID: UInt32 = 16
    static let byteaOID: UInt32 = 17
    static let int8OID: UInt32 = 20
    static let int2OID: UInt32 = 21
    static let int4OID: UInt32 = 23
    static let uuidOID: UInt32 = 2950
    static let textOIDs: Set<UInt32> = [18, 19, 25, 1042, 1043]  // char, name, text, bpchar, varchar

    let columnIndex: [String: Int]
    let types: [ColumnType]
    let values: [[UInt8]?]

    init(columnIndex: [String: Int], types: [ColumnType], values: [[UInt8]?]) {
        self.columnIndex = columnIndex
        self.types = types
        self.values = values
    }

    func cell(_ column: String) throws(PostgresError) -> (bytes: [UInt8], type: ColumnType)? {
        guard let index = columnIndex[column] else {
            throw PostgresError(code: .unexpectedResult, message: "no column \(column)")
        }
        return values[index].map { ($0, types[index]) }
    }

    static func mismatch(_ column: String, _ wanted: String, _ type: ColumnType) -> PostgresError {
        PostgresError(
            code: .unexpectedResult,
            message: "column \(column) (type oid \(type.oid), \(type.binary ? "binary" : "text")) is not \(wanted)")
    }

    /// The column's text value, `nil` for NULL.
    public func string(_ column: String) throws(PostgresError) -> String? {
        guard let (bytes, type) = try cell(column) else { return nil }
        guard !type.binary || Self.textOIDs.contains(type.oid) else { throw Self.mismatch(column, "text", type) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A non-NULL text column.
    public func requiredString(_ column: String) throws(PostgresError) -> String {
        guard let value = try string(column) else {
            throw PostgresError(code: .unexpectedResult, message: "column \(column) is NULL")
        }
        return value
    }

    public func int(_ column: String) throws(PostgresError) -> Int? {
        guard let (bytes, type) = try cell(column) else { return nil }
        if !type.binary {
            guard let value = Int(String(decoding: bytes, as: UTF8.self)) else {
                throw Self.mismatch(column, "an integer", type)
            }
            return value
        }
        let width: Int
        switch type.oid {
        case Self.int2OID: width = 2
        case Self.int4OID: width = 4
        case Self.int8OID: width = 8
        default: throw Self.mismatch(column, "an integer", type)
        }
        guard bytes.count == width else { throw Self.mismatch(column, "an integer", type) }
        // Network byte order, two's complement: sign-extend from the first byte.
        var value = Int(Int8(bitPattern: bytes[0]))
        for byte in bytes.dropFirst() { value = value << 8 | Int(byte) }
        return value
    }

    public func bool(_ column: String) throws(PostgresError) -> Bool? {
        guard let (bytes, type) = try cell(column) else { return nil }
        if !type.binary { return bytes == [UInt8(ascii: "t")] }
        guard type.oid == Self.boolOID, bytes.count == 1 else { throw Self.mismatch(column, "a bool", type) }
        return bytes[0] != 0
    }

    public func uuid(_ column: String) throws(PostgresError) -> UUID? {
        guard let (bytes, type) = try cell(column) else { return nil }
        if !type.binary {
            guard let value = Self.uuid(text: bytes) else { throw Self.mismatch(column, "a uuid", type) }
            return value
        }
        guard type.oid == Self.uuidOID, bytes.count == 16 else { throw Self.mismatch(column, "a uuid", type) }
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }

    /// A `bytea` column's bytes, as libpq's binary format returns them: query with `results: .binary`.
    /// - Throws: ``PostgresError/Code/unexpectedResult`` for a text-format result (never hex-decoded here).
    public func bytes(_ column: String) throws(PostgresError) -> [UInt8]? {
        guard let (bytes, type) = try cell(column) else { return nil }
        guard type.binary, type.oid == Self.byteaOID else { throw Self.mismatch(column, "binary bytea", type) }
        return bytes
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

extension PostgresRow {
    /// Parses PostgreSQL's text form of a uuid (`8-4-4-4-12` hex digits, either case) without going
    /// through `UUID(uuidString:)` (`sscanf`): every batch reads a hundred ids.
    static func uuid(text: [UInt8]) -> UUID? {
        guard text.count == 36 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        var position = 0
        for index in 0..<16 {
            if index == 4 || index == 6 || index == 8 || index == 10 {
                guard text[position] == UInt8(ascii: "-") else { return nil }
                position += 1
            }
            guard let high = hexValue(text[position]), let low = hexValue(text[position + 1]) else { return nil }
            bytes[index] = high << 4 | low
            position += 2
        }
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
