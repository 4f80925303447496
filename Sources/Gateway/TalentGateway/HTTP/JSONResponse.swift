import Foundation
import Hummingbird

/// Builds JSON responses with one encoder convention (sorted keys, ISO 8601 dates).
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
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: (try? encoder.encode(body)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// A response whose body is already JSON text.
    static func make(status: HTTPResponse.Status, rawJSON: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: rawJSON)))
    }
}
