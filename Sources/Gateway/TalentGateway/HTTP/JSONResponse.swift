import Foundation
import Hummingbird

/// Builds JSON responses with one encoder convention (sorted keys, ISO 8601 dates).
enum JSONResponse {
    static func make<Body: Encodable>(status: HTTPResponse.Status, _ body: Body, headers: HTTPFields = [:]) -> Response
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
