/// The one text shape timestamps leave the database in: RFC 3339, UTC, `Z`, milliseconds
/// (`2026-12-02T05:23:52.123Z`), whatever the session's time zone — the same as
/// `Date.ISO8601FormatStyle(includingFractionalSeconds: true)` writes in Swift.
public enum PostgresTimestamp {
    /// A select-list item rendering the `timestamptz` `expression` in that shape, named `name`
    /// (`expression` when it is a plain column). `NULL` stays `NULL`.
    public static func rfc3339(_ expression: String, as name: String? = nil) -> String {
        let label = name ?? expression.split(separator: ".").last.map(String.init) ?? expression
        return "to_char(\(expression) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS \(label)"
    }
}
