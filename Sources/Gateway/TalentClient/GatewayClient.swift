import Foundation
import TalentAPI
import TalentCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A small client of the gateway's HTTP API (schemas/openapi.json), for `talentctl` and tests.
///
/// A `429 rate_limited` answer is retried after its `Retry-After` (at most ``rateLimitRetries``
/// times), as a portal over its request budget should.
public struct GatewayClient: Sendable {
    public let baseURL: URL
    public let token: String
    /// Times a `429` is retried after its `Retry-After`; 0 returns it.
    public let rateLimitRetries: Int
    let session: URLSession

    public init(baseURL: URL, token: String, rateLimitRetries: Int = 20) {
        self.baseURL = baseURL
        self.token = token
        self.rateLimitRetries = rateLimitRetries
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 16
        self.session = URLSession(configuration: configuration)
    }

    /// An HTTP answer: status and raw body.
    public struct Reply: Sendable {
        public var status: Int
        public var body: Data
        public var headers: [String: String]

        /// The `error.code` of an error body, if any.
        public var errorCode: String? {
            struct ErrorBody: Decodable {
                struct Detail: Decodable { var code: String }
                var error: Detail
            }
            return try? JSONDecoder().decode(ErrorBody.self, from: body).error.code
        }

        public func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try JSONDecoder().decode(type, from: body)
        }
    }

    /// Sends a request; `path` may carry a query string.
    public func send(
        _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:], authorised: Bool = true
    ) async throws -> Reply {
        var attempt = 0
        while true {
            let reply = try await sendOnce(method, path, body: body, headers: headers, authorised: authorised)
            guard reply.status == 429, attempt < rateLimitRetries else { return reply }
            attempt += 1
            let seconds = min(max(Int(reply.headers["retry-after"] ?? "1") ?? 1, 1), 30)
            try await Task.sleep(for: .seconds(seconds))
        }
    }

    func sendOnce(
        _ method: String, _ path: String, body: Data?, headers: [String: String], authorised: Bool
    ) async throws -> Reply {
        guard let url = URL(string: path, relativeTo: baseURL) else { throw URLError(.badURL) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if authorised { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response): (Data, URLResponse)
        if let body {
            if headers["Content-Type"] == nil {
                request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
            }
            (data, response) = try await session.upload(for: request, from: body)
        } else {
            (data, response) = try await session.data(for: request)
        }
        let http = response as? HTTPURLResponse
        var replyHeaders: [String: String] = [:]
        for (key, value) in http?.allHeaderFields ?? [:] {
            if let key = key as? String, let value = value as? String { replyHeaders[key.lowercased()] = value }
        }
        return Reply(status: http?.statusCode ?? 0, body: data, headers: replyHeaders)
    }

    /// Sends `value` as a JSON body.
    public func send<Body: Encodable>(_ method: String, _ path: String, json value: Body) async throws -> Reply {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return try await send(
            method, path, body: try encoder.encode(value), headers: ["Content-Type": "application/json"])
    }

    /// Waits until the job has finished (any status but `queued`), polling every 100 ms, for at most
    /// `timeout`; returns the last record read. `jobsPath`: `/v1/service/jobs/` for a service's job.
    public func finishedJob(_ id: UUID, timeout: Duration = .seconds(60), jobsPath: String = "/v1/jobs/")
        async throws -> JobRecord?
    {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var last: JobRecord?
        repeat {
            let reply = try await send("GET", jobsPath + id.uuidString.lowercased())
            if reply.status == 200 {
                last = try reply.decode(JobRecord.self)
                if last?.status != .queued { return last }
            }
            try await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < deadline
        return last
    }

    /// `POST /v1/attachments`.
    public func upload(_ bytes: Data, fileName: String, kind: AttachmentKind) async throws -> Reply {
        var components = URLComponents()
        components.path = "/v1/attachments"
        components.queryItems = [
            URLQueryItem(name: "kind", value: kind.rawValue), URLQueryItem(name: "fileName", value: fileName),
        ]
        let query = components.percentEncodedQuery ?? ""
        return try await send("POST", "/v1/attachments?\(query)", body: bytes)
    }

    /// `GET /v1/attachments/{id}`.
    public func attachment(_ id: UUID) async throws -> AttachmentRecord? {
        let reply = try await send("GET", "/v1/attachments/\(id.uuidString.lowercased())")
        guard reply.status == 200 else { return nil }
        return try reply.decode(AttachmentRecord.self)
    }
}
