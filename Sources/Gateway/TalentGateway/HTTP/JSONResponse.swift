import Foundation
import Hummingbird

/// Builds JSON responses with one encoder convention (sorted keys; dates RFC 3339, UTC, `Z`,
/// milliseconds, like the database's ``PostgresTimestamp``).
enum JSONResponse {
    static func make<Body: Encodable>(status: HTTPResponse.Status, _ body: Body, headers: HTTPFields = [:])
        -> Response
    {
        make(status: status, rawJSON: encode(body), headers: headers)
    }

    /// The JSON text of `body`.
    static func encode<Body: Encodable>(_ body: Body) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        return String(decoding: (try? encoder.encode(body)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// A response whose body is already JSON text.
    static func make(status: HTTPResponse.Status, rawJSON: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: rawJSON)))
    }
}
