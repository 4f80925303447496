import Foundation
import TalentAPI
import TalentClient
import TalentCore
import TalentTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// HTTP/1.1 details against the running gateway, over a raw TCP connection where a client library
/// would hide them: `100 Continue`, oversize heads and bodies in the error shape, one timestamp format.
@Suite("HTTP details")
struct HTTPDetailsTests {
    /// A blocking TCP connection to the gateway with a 10 s receive timeout (never waits forever).
    final class Connection {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        }

        deinit { close(fd) }

        func send(_ bytes: some Collection<UInt8>) {
            let data = Array(bytes)
            var sent = 0
            while sent < data.count {
                let n = data[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { return }
                sent += n
            }
        }

        /// Reads until `done` says the text so far is complete, the peer closes, or 10 s pass.
        func receive(until done: (String) -> Bool = { _ in false }) -> String {
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !done(String(decoding: received, as: UTF8.self)) {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { break }
                received += buffer[0..<n]
            }
            return String(decoding: received, as: UTF8.self)
        }
    }

    static func port() async throws -> Int {
        try await SharedSystem.instance.get().environment.httpPort
    }

    /// The body of a complete response with `Content-Length` in `text`, or `nil` while incomplete.
    static func body(_ text: String) -> String? {
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let head = text[..<split.lowerBound].lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return nil }
        let body = text[split.upperBound...]
        return body.utf8.count >= length ? String(body) : nil
    }

    @Test func expectContinueIsAnsweredBeforeTheBody() async throws {
        let system = try await SharedSystem.instance.get()
        let token = try await system.token(unit: Fixtures.unit(30).rawValue)
        let connection = try Connection(port: try await Self.port())
        let png = Array(try Data(contentsOf: try Self.corpusFile(extension: "png")))
        connection.send(
            Array(
                ("POST /v1/attachments?kind=other&fileName=scan.png HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer \(token)\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: \(png.count)\r\nExpect: 100-continue\r\n\r\n").utf8))
        // The interim answer comes before any byte of the body was sent.
        let interim = connection.receive { $0.contains("\r\n\r\n") }
        #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(interim)")
        connection.send(png)
        let final = connection.receive { Self.body($0) != nil }
        #expect(final.hasPrefix("HTTP/1.1 202 Accepted"), "\(final.prefix(300))")
    }

    /// Pipelined: the `100 Continue` of the second request comes after the first one's whole answer.
    @Test func aPipelinedExpectContinueWaitsForTheAnswerBeforeIt() async throws {
        let system = try await SharedSystem.instance.get()
        let token = try await system.token(unit: Fixtures.unit(34).rawValue)
        let connection = try Connection(port: try await Self.port())
        let png = Array(try Data(contentsOf: try Self.corpusFile(extension: "png")))
        connection.send(
            Array(
                ("GET /v1/employee-summary HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n"
                    + "POST /v1/attachments?kind=other&fileName=p.png HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer \(token)\r\nContent-Length: \(png.count)\r\nExpect: 100-continue\r\n\r\n")
                    .utf8))
        let before = connection.receive { $0.contains("HTTP/1.1 100 Continue\r\n\r\n") }
        let first = try #require(before.range(of: "HTTP/1.1 100 Continue")).lowerBound
        let answer = String(before[..<first])
        #expect(answer.hasPrefix("HTTP/1.1 200 OK"), "\(before.prefix(300))")
        #expect(Self.body(answer) != nil, "the first answer was cut by the 100: \(answer)")
        connection.send(png)
        let final = connection.receive { Self.body($0) != nil }
        #expect(final.hasPrefix("HTTP/1.1 202 Accepted"), "\(final.prefix(300))")
    }

    @Test(arguments: ["header", "url"])
    func oversizeHeadsAre431InTheErrorShape(part: String) async throws {
        let connection = try Connection(port: try await Self.port())
        let long = String(repeating: "a", count: 100_000)
        let request =
            part == "header"
            ? "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: \(long)\r\n\r\n"
            : "GET /health/live?q=\(long) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        connection.send(Array(request.utf8))
        let reply = connection.receive { Self.body($0) != nil }
        #expect(reply.hasPrefix("HTTP/1.1 431 "), "\(reply.prefix(200))")
        let body = try #require(Self.body(reply))
        let error = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: [String: Any]]
        #expect(error?["error"]?["code"] as? String == "headers_too_large")
    }

    @Test func garbageIsMalformedRequestInTheErrorShape() async throws {
        let connection = try Connection(port: try await Self.port())
        connection.send(Array("NOT HTTP AT ALL\r\n\r\n".utf8))
        let reply = connection.receive { Self.body($0) != nil }
        #expect(reply.hasPrefix("HTTP/1.1 400 "), "\(reply.prefix(200))")
        #expect(reply.contains(#""code":"malformed_request""#))
    }

    @Test func oversizeJSONBodiesAre413InTheErrorShape() async throws {
        let system = try await SharedSystem.instance.get()
        let service = try await system.serviceClient()
        let reply = try await service.send(
            "POST", "/v1/service/association-requests", body: Data(repeating: UInt8(ascii: " "), count: 70_000),
            headers: ["Content-Type": "application/json"])
        #expect(reply.status == 413)
        #expect(reply.errorCode == "too_large")
    }

    /// Every timestamp the API returns has one shape: RFC 3339, UTC, `Z`, milliseconds; a job is never
    /// published after it finished.
    @Test func timestampsHaveOneShape() async throws {
        let system = try await SharedSystem.instance.get()
        let client = try await system.client(unit: Fixtures.unit(31))
        let reply = try await client.upload(
            Data(contentsOf: try Self.corpusFile(extension: "png")), fileName: "a.png", kind: .other)
        #expect(reply.status == 202)
        let accepted = try reply.decode(UploadAccepted.self)
        let job = try #require(try await client.finishedJob(accepted.job.id))
        let attachment = try #require(try await client.attachment(accepted.attachment.id))
        let shape = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
        let stamps = [job.createdAt, job.publishedAt, job.finishedAt, attachment.uploadedAt, attachment.validatedAt]
        for stamp in stamps {
            let text = try #require(stamp)
            #expect(text.wholeMatch(of: shape) != nil, "\(text)")
        }
        #expect(try #require(job.publishedAt) <= (try #require(job.finishedAt)))
    }

    /// `Prefer: wait=N` on an upload: the verdict in the answer (`200`), the job finished.
    @Test func anUploadCanWaitForItsVerdict() async throws {
        let system = try await SharedSystem.instance.get()
        let client = try await system.client(unit: Fixtures.unit(32))
        let reply = try await client.send(
            "POST", "/v1/attachments?kind=other&fileName=wait.png",
            body: try Data(contentsOf: try Self.corpusFile(extension: "png")),
            headers: ["Prefer": "respond-async, wait=10"])
        #expect(reply.status == 200)
        #expect(reply.headers["preference-applied"] == "wait=10")
        let accepted = try reply.decode(UploadAccepted.self)
        #expect(accepted.attachment.status != .pending)
        #expect(accepted.job.status == .succeeded)
        #expect(reply.headers["location"] == "/v1/jobs/\(accepted.job.id.uuidString.lowercased())")
    }

    static func corpusFile(extension suffix: String) throws -> URL {
        let environment = try TestEnvironment.current()
        let files = try FileManager.default.contentsOfDirectory(
            at: environment.corpusDirectory.appendingPathComponent("files"), includingPropertiesForKeys: nil)
        return try #require(files.sorted { $0.path < $1.path }.first { $0.pathExtension == suffix })
    }
}
