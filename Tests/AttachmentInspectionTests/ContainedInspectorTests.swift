import AttachmentInspection
import Foundation
import TalentClient
import TalentCore
import TalentTestSupport
import Testing

@Suite("Contained inspection")
struct ContainedInspectorTests {
    let request = InspectionRequest(fileName: "a.png", kind: .other, policy: AttachmentPolicy())

    /// Every corpus file, inspected by the real `talent-inspect` child, agrees with the manifest's
    /// verdict and reason (oracles: pngcheck, djpeg, qpdf).
    @Test func corpusAgreesWithManifest() async throws {
        let environment = try TestEnvironment.current()
        let inspector = ContainedInspector(
            configuration: .init(executablePath: environment.binDirectory.appendingPathComponent("talent-inspect").path)
        )
        let manifest = try ManifestFile.load(environment.corpusDirectory.appendingPathComponent("manifest.tsv").path)
        let files = try CorpusUpload.files(in: environment.corpusDirectory.appendingPathComponent("files"))
        #expect(files.count == manifest.expectations.count)
        var disagreements: [String] = []
        for file in files {
            let bytes = Array(try Data(contentsOf: file))
            let verdict = try await inspector.inspect(
                bytes,
                request: InspectionRequest(fileName: file.lastPathComponent, kind: .other, policy: AttachmentPolicy()))
            let expected = manifest.expectations[file.lastPathComponent]
            if expected?.verdict != verdict.outcome.rawValue || expected?.reason != (verdict.reason?.rawValue ?? "") {
                disagreements.append(
                    "\(file.lastPathComponent): \(verdict.outcome) \(verdict.reason?.rawValue ?? "") \(verdict.detail ?? "")"
                )
            }
        }
        #expect(disagreements == [])
    }

    /// The real inspector with a misbehaviour forced on its children.
    static func inspector(
        fault: ForkServer.Fault?, cpuSeconds: Int = 10, wallSeconds: Int = 20, attempts: Int = 2
    ) throws -> ContainedInspector {
        ContainedInspector(
            configuration: .init(
                executablePath: try TestEnvironment.current().binDirectory.appendingPathComponent("talent-inspect")
                    .path,
                cpuSeconds: cpuSeconds, wallSeconds: wallSeconds, attempts: attempts, fault: fault))
    }

    /// A child that crashes every time: the file is quarantined as corrupt, the caller lives on.
    @Test func crashingChildIsQuarantined() async throws {
        let inspector = try Self.inspector(fault: .crash, wallSeconds: 5)
        let verdict = try await inspector.inspect([1, 2, 3], request: request)
        #expect(verdict.outcome == .rejected)
        #expect(verdict.reason == .corrupt)
        #expect(verdict.warnings.count == 2)
        #expect(verdict.warnings.allSatisfy { $0.contains("signal 11") })
    }

    /// A child that hangs without using the CPU is killed at the wall-clock limit, and the file is
    /// not judged: a parser cannot wait on anything (its input is a file), so the machine was busy.
    @Test func idleChildIsKilledAtTheWallClockLimitAndNotJudged() async throws {
        let inspector = try Self.inspector(fault: .hang, wallSeconds: 1, attempts: 1)
        let outcome = await inspector.runChild([1], request: request)
        guard case .unavailable(let reason) = outcome else {
            Issue.record("expected unavailable, got \(outcome)")
            return
        }
        #expect(reason.contains("busy"))
        await #expect(throws: ContainedInspector.Unavailable.self) {
            _ = try await inspector.inspect([1], request: request)
        }
    }

    /// A child killed from outside (the out-of-memory killer, an operator) is not the file's doing.
    @Test func childKilledFromOutsideIsNotJudged() async throws {
        let inspector = try Self.inspector(fault: .hang, wallSeconds: 30, attempts: 1)
        async let outcome = inspector.runChild([1], request: request)
        var child: Int32?
        for _ in 0..<100 where child == nil {
            try await Task.sleep(for: .milliseconds(50))
            if let server = inspector.serverProcessId,
                let children = try? String(contentsOfFile: "/proc/\(server)/task/\(server)/children", encoding: .utf8)
            {
                child = children.split(separator: " ").first.flatMap { Int32($0) }
            }
        }
        let pid = try #require(child)
        kill(pid, SIGKILL)
        guard case .unavailable = await outcome else {
            Issue.record("expected unavailable")
            return
        }
    }

    /// A child cannot start a process (seccomp): nothing outlives it to hold the answer open or to
    /// write a forged verdict after the server's trailer.
    @Test func childCannotStartProcesses() async throws {
        let inspector = try Self.inspector(fault: .escape, wallSeconds: 20, attempts: 1)
        let started = ContinuousClock.now
        let outcome = await inspector.runChild([1], request: request)
        #expect(outcome == .failed("unreadable verdict"), "\(outcome)")
        #expect(started.duration(to: .now) < .seconds(10))
    }

    /// A child that spins on the CPU ends by its own RLIMIT_CPU (SIGXCPU/SIGKILL) as a time-out.
    @Test func childOverItsCPULimitIsATimeout() async throws {
        let spinning = try Self.inspector(fault: .spin, cpuSeconds: 1, wallSeconds: 30, attempts: 1)
        #expect(await spinning.runChild([1], request: request) == .timedOut)
    }

    /// When no child can be started, the file is not judged: the caller gets an error and retries.
    @Test func missingInspectorIsUnavailableNotCorrupt() async throws {
        let inspector = ContainedInspector(configuration: .init(executablePath: "/nonexistent/talent-inspect"))
        await #expect(throws: ContainedInspector.Unavailable.self) {
            _ = try await inspector.inspect([1, 2, 3], request: request)
        }
    }

    /// A child that prints garbage is a failure, not a verdict.
    @Test func unreadableOutputIsAFailure() async throws {
        let inspector = try Self.inspector(fault: .garbage, attempts: 1)
        let outcome = await inspector.runChild([1], request: request)
        #expect(outcome == .failed("unreadable verdict"), "\(outcome)")
    }

    /// The fork server killed between inspections is replaced by the next one, which judges the file.
    @Test func killedServerIsReplaced() async throws {
        let inspector = try Self.inspector(fault: nil)
        let png = try Self.corpusFile(extension: "png")
        let first = try await inspector.inspect(png, request: request)
        let server = try #require(inspector.serverProcessId)
        kill(server, SIGKILL)
        let second = try await inspector.inspect(png, request: request)
        #expect(second == first)
        #expect(inspector.serverProcessId != server)
    }

    /// The fork server killed while its child works: the inspection runs once more on a new server
    /// (here the child hangs again, until the wall-clock limit: not judged).
    @Test func serverKilledDuringAnInspectionIsReplaced() async throws {
        let inspector = try Self.inspector(fault: .hang, wallSeconds: 2, attempts: 1)
        async let outcome = inspector.runChild([1], request: request)
        var server: Int32?
        while server == nil {
            try await Task.sleep(for: .milliseconds(20))
            server = inspector.serverProcessId
        }
        try await Task.sleep(for: .milliseconds(200))
        kill(server!, SIGKILL)
        guard case .unavailable = await outcome else {
            Issue.record("expected unavailable after the second server's wall-clock kill")
            return
        }
        #expect(inspector.serverProcessId != server)
        #expect(inspector.serverProcessId != nil)
    }

    /// Concurrent inspections share one server and each gets its own answer.
    @Test func concurrentInspectionsShareOneServer() async throws {
        let inspector = try Self.inspector(fault: nil)
        let png = try Self.corpusFile(extension: "png")
        let pdf = try Self.corpusFile(extension: "pdf")
        let expectedPNG = try await inspector.inspect(png, request: request)
        let pdfRequest = InspectionRequest(fileName: "a.pdf", kind: .other, policy: AttachmentPolicy())
        let expectedPDF = try await inspector.inspect(pdf, request: pdfRequest)
        let server = inspector.serverProcessId
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<16 {
                group.addTask {
                    index.isMultiple(of: 2)
                        ? try await inspector.inspect(png, request: request) == expectedPNG
                        : try await inspector.inspect(pdf, request: pdfRequest) == expectedPDF
                }
            }
            for try await agrees in group { #expect(agrees) }
        }
        #expect(inspector.serverProcessId == server)
    }

    static func corpusFile(extension fileExtension: String) throws -> [UInt8] {
        let files = try CorpusUpload.files(
            in: TestEnvironment.current().corpusDirectory.appendingPathComponent("files"))
        let file = try #require(files.first { $0.pathExtension == fileExtension })
        return Array(try Data(contentsOf: file))
    }
}

/// The fork server's messages, without processes.
@Suite("Fork server protocol")
struct ForkServerProtocolTests {
    @Test func requestRoundTrips() throws {
        let request = ForkServerProtocol.Request(cpuSeconds: 10, wallSeconds: 70_000, requestJSON: Array("{}".utf8))
        #expect(ForkServerProtocol.Request(request.bytes[...]) == request)
        #expect(ForkServerProtocol.Request(Array("TIS2short".utf8)[...]) == nil)
        #expect(ForkServerProtocol.Request(Array("XXXX00000000{}".utf8)[...]) == nil)
    }

    @Test func trailerSplitsFromTheChildsOutput() throws {
        let trailer = ForkServerProtocol.Trailer(status: -2, killedAtWallLimit: true, badRequest: true)
        let (output, read) = try #require(ForkServerProtocol.Trailer.split(Array("{\"a\":1}".utf8) + trailer.bytes))
        #expect(Array(output) == Array("{\"a\":1}".utf8))
        #expect(read == trailer)
        #expect(ForkServerProtocol.Trailer.split(Array("{\"a\":1}".utf8)) == nil)
        #expect(ForkServerProtocol.Trailer.split(trailer.bytes.dropLast() + [0]) != nil)
        #expect(ForkServerProtocol.Trailer.split(Array(trailer.bytes.dropFirst())) == nil)
    }
}
