import Foundation
import Metrics
import TalentCore

#if canImport(Glibc)
    import Glibc
#endif

/// Runs ``AttachmentInspector`` in a fresh, limited child process per file, so that a file which
/// crashes or hangs a parser costs one child, never the worker.
///
/// The children are forked by the worker's ``ForkServer`` (`talent-inspect --serve`, started on
/// first use and again whenever it has gone), which has libmagic loaded already. Each child gets the
/// bytes on stdin (a deleted temporary file), limits its own CPU time and address space, and prints
/// the verdict as JSON; the server kills it at the wall-clock limit and reports how it ended. A child
/// that crashes or overruns is tried once more (the machine may have been busy); a second failure
/// quarantines the file: it is rejected as `corrupt` with the failures recorded as warnings. Blocking
/// calls run on a dedicated thread.
public struct ContainedInspector: Sendable {
    public struct Configuration: Sendable {
        /// Path of the `talent-inspect` executable. Default: beside the running executable.
        public var executablePath: String
        /// CPU seconds per attempt (the child's RLIMIT_CPU). Default 10.
        public var cpuSeconds: Int
        /// Wall-clock seconds per attempt before SIGKILL. Default 20.
        public var wallSeconds: Int
        /// Attempts before the file is quarantined. Default 2.
        public var attempts: Int
        /// A misbehaviour forced on every child (tests of the containment only). Default none.
        public var fault: ForkServer.Fault?

        public init(
            executablePath: String? = nil, cpuSeconds: Int = 10, wallSeconds: Int = 20, attempts: Int = 2,
            fault: ForkServer.Fault? = nil
        ) {
            self.executablePath = executablePath ?? Self.besideCurrentExecutable("talent-inspect")
            self.cpuSeconds = cpuSeconds
            self.wallSeconds = wallSeconds
            self.attempts = attempts
            self.fault = fault
        }

        /// `name` in the directory of the running executable.
        public static func besideCurrentExecutable(_ name: String) -> String {
            let own =
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
            return URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent(name).path
        }
    }

    /// How one child run ended.
    public enum ChildOutcome: Sendable, Hashable {
        case verdict(AttachmentVerdict)
        case crashed(signal: Int32)
        case timedOut
        /// The child ran but gave no verdict (exit status, unreadable output).
        case failed(String)
        /// No child could be run (temporary file, pipe, spawn): a fault of this machine, not the file's.
        case unavailable(String)

        /// The `outcome` label of `talent_inspector_children_total`.
        var metricOutcome: String {
            switch self {
            case .verdict: "verdict"
            case .crashed: "crashed"
            case .timedOut: "killed_cpu_limit"
            case .failed: "failed"
            case .unavailable: "unavailable"
            }
        }
    }

    /// Inspection could not run at all; the job should be retried, not judged.
    public struct Unavailable: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let configuration: Configuration
    let server: ForkServerHandle

    public init(configuration: Configuration = Configuration()) {
        // Every outcome's series at zero, so the first of each after a start shows as an increase.
        for outcome in Self.metricOutcomes {
            _ = Counter(label: "talent_inspector_children_total", dimensions: [("outcome", outcome)])
        }
        self.configuration = configuration
        server = ForkServerHandle(
            executablePath: configuration.executablePath,
            arguments: ["--serve"] + (configuration.fault.map { ["--fault", $0.rawValue] } ?? []))
    }

    /// The fork server's process id, `nil` before the first inspection (for tests).
    public var serverProcessId: Int32? { server.serverProcessId }

    /// Validates `bytes`.
    /// - Throws: ``Unavailable`` when no child could be started (the caller retries later; a file is
    ///   never judged by this machine's faults).
    public func inspect(_ bytes: [UInt8], request: InspectionRequest) async throws(Unavailable) -> AttachmentVerdict {
        var failures: [String] = []
        for _ in 0..<max(configuration.attempts, 1) {
            let outcome = await runChild(bytes, request: request)
            switch outcome {
            case .verdict(let verdict):
                return verdict
            case .crashed(let signal):
                failures.append("inspector crashed (signal \(signal))")
            case .timedOut:
                failures.append(
                    "inspector exceeded its time limit (\(configuration.cpuSeconds) s CPU / \(configuration.wallSeconds) s)"
                )
            case .failed(let reason):
                failures.append("inspector failed: \(reason)")
            case .unavailable(let reason):
                throw Unavailable(description: reason)
            }
        }
        return .rejected(
            .corrupt, detail: "quarantined after \(failures.count) failed inspections", warnings: failures)
    }

    /// One child run on a dedicated thread.
    public func runChild(_ bytes: [UInt8], request: InspectionRequest) async -> ChildOutcome {
        let (configuration, server) = (self.configuration, self.server)
        return await withCheckedContinuation { (continuation: CheckedContinuation<ChildOutcome, Never>) in
            let thread = Thread {
                continuation.resume(
                    returning: Self.forkAndWait(bytes, request: request, configuration: configuration, server: server))
            }
            thread.name = "inspect"
            thread.start()
        }
    }

    /// How long past the wall-clock limit the worker waits for the server's answer before it takes the
    /// server for broken and restarts it.
    static let answerGraceSeconds = 10
    /// The most a child may write; a verdict is small, more is a broken child.
    static let maximumAnswerBytes = 1 << 20

    static func forkAndWait(
        _ bytes: [UInt8], request: InspectionRequest, configuration: Configuration, server: ForkServerHandle
    ) -> ChildOutcome {
        guard let requestJSON = try? JSONEncoder().encode(request) else { return .unavailable("cannot encode request") }
        // The file: an unlinked temporary file holding the bytes.
        var template = Array((NSTemporaryDirectory() + "/talent-inspect-XXXXXX").utf8CString)
        let input = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard input >= 0 else { return .unavailable("mkstemp: \(errno)") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        defer { close(input) }
        _ = fcntl(input, F_SETFD, FD_CLOEXEC)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(input, $0.baseAddress! + written, bytes.count - written) }
            if result < 0 && errno == EINTR { continue }
            if result <= 0 { return .unavailable("write: \(errno)") }
            written += result
        }

        let message = ForkServerProtocol.Request(
            cpuSeconds: UInt32(clamping: configuration.cpuSeconds),
            wallSeconds: UInt32(clamping: configuration.wallSeconds),
            requestJSON: Array(requestJSON)
        ).bytes
        // A server that ended during the inspection (killed, out of memory) is the machine's fault:
        // once more on a new one, then the file is not judged (the caller retries later).
        var answer = Answer.serverEnded
        for _ in 0..<2 {
            // The child gets a read-only descriptor of its own (own offset): it cannot change the
            // bytes a second attempt inspects.
            let readOnly = open("/proc/self/fd/\(input)", O_RDONLY | O_CLOEXEC)
            guard readOnly >= 0 else { return .unavailable("reopen the file: \(errno)") }
            answer = Self.exchange(message, input: readOnly, configuration: configuration, server: server)
            close(readOnly)
            guard case .serverEnded = answer else { break }
        }
        let output: ArraySlice<UInt8>
        let trailer: ForkServerProtocol.Trailer
        switch answer {
        case .serverEnded:
            Self.ended("unavailable")
            return .unavailable("the inspector server ended during the inspection")
        case .outcome(let outcome):
            Self.ended(outcome.metricOutcome)
            return outcome
        case .answered(let childOutput, let serverTrailer): (output, trailer) = (childOutput, serverTrailer)
        }
        let outcome = Self.outcome(output, trailer, wallSeconds: configuration.wallSeconds)
        Self.ended(trailer.killedAtWallLimit && outcome == .timedOut ? "killed_wall_limit" : outcome.metricOutcome)
        return outcome
    }

    /// What the child's output and the server's trailer say.
    ///
    /// Only what the file can cause counts against it: a crash, the CPU limit (SIGXCPU), the wall-clock
    /// limit reached while the child used the CPU for at least half of it, a verdict that does not
    /// read. Everything else is ``ChildOutcome/unavailable`` (retried later, never a verdict): a SIGKILL
    /// the server did not send (out of memory, an operator), SIGTERM/SIGINT/SIGHUP, the wall-clock
    /// limit reached on a machine too busy to give the child the CPU, the inspector's own usage and
    /// internal errors (exit 64, 70: another version, a broken descriptor), a failed fork or `wait4`.
    static func outcome(
        _ output: ArraySlice<UInt8>, _ trailer: ForkServerProtocol.Trailer, wallSeconds: Int
    ) -> ChildOutcome {
        if trailer.badRequest { return .unavailable("the inspector server could not read the request") }
        if trailer.forkFailed { return .unavailable("fork: \(String(cString: strerror(trailer.status)))") }
        if trailer.statusUnknown { return .unavailable("the inspector server could not learn how the child ended") }
        if trailer.killedAtWallLimit {
            let cpuSeconds = Double(trailer.cpuMilliseconds) / 1000
            guard cpuSeconds * 2 >= Double(wallSeconds) else {
                return .unavailable(
                    "the machine was busy: \(cpuSeconds) s of CPU in the \(wallSeconds) s wall-clock limit")
            }
            return .timedOut
        }
        let signalled = trailer.status & 0x7f
        switch signalled {
        case 0: break
        case SIGXCPU: return .timedOut
        case SIGKILL, SIGTERM, SIGINT, SIGHUP:
            return .unavailable("the inspection child was ended from outside (signal \(signalled))")
        default: return .crashed(signal: signalled)
        }
        let exitCode = (trailer.status >> 8) & 0xff
        if exitCode == InspectorProcess.ExitStatus.usage.rawValue
            || exitCode == InspectorProcess.ExitStatus.internalError.rawValue
        {
            return .unavailable("the inspector failed before judging the file (exit status \(exitCode))")
        }
        guard exitCode == 0 else { return .failed("exit status \(exitCode)") }
        guard let verdict = try? JSONDecoder().decode(AttachmentVerdict.self, from: Data(output)) else {
            return .failed("unreadable verdict")
        }
        return .verdict(verdict)
    }

    /// The metrics inspection records (names and help for the Prometheus exposition).
    ///
    /// `talent_inspector_children_total{outcome}`: one per inspection attempt, `outcome` one of
    /// `verdict`, `crashed`, `killed_cpu_limit` (RLIMIT_CPU), `killed_wall_limit`, `failed` (no
    /// readable verdict), `unavailable` (no child could run: the machine's fault).
    /// `talent_inspector_server_starts_total`: fork servers started (the first, and each replacement).
    public static let metricHelp: [String: String] = [
        "talent_inspector_children_total": "Inspection child processes by how they ended.",
        "talent_inspector_server_starts_total": "Inspector fork servers started (the first and each replacement).",
    ]

    /// The values of the `outcome` label.
    static let metricOutcomes = [
        "verdict", "crashed", "killed_cpu_limit", "killed_wall_limit", "failed", "unavailable",
    ]

    static func ended(_ outcome: String) {
        Counter(label: "talent_inspector_children_total", dimensions: [("outcome", outcome)]).increment()
    }

    /// What one request to the server came to.
    enum Answer {
        /// The child's output and the server's trailer.
        case answered(ArraySlice<UInt8>, ForkServerProtocol.Trailer)
        /// No trailer: the server ended (it has been replaced).
        case serverEnded
        /// An outcome decided without the trailer.
        case outcome(ChildOutcome)
    }

    /// Sends one request and reads its answer until end of file, or until the server's time is up.
    static func exchange(
        _ message: [UInt8], input: Int32, configuration: Configuration, server: ForkServerHandle
    ) -> Answer {
        var pipeDescriptors: [Int32] = [0, 0]
        guard pipe(&pipeDescriptors) == 0 else { return .outcome(.unavailable("pipe: \(errno)")) }
        let (readEnd, writeEnd) = (pipeDescriptors[0], pipeDescriptors[1])
        // Not inherited by anything this process starts (the server, too, starts with closefrom(3)).
        for descriptor in [readEnd, writeEnd] { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        defer { close(readEnd) }
        let submitted = server.submit(message, input: input, answer: writeEnd)
        // The server holds its own copy now: end of file comes when it and the child are done.
        close(writeEnd)
        let serverProcessId: Int32
        switch submitted {
        case .success(let pid): serverProcessId = pid
        case .failure(let failure): return .outcome(.unavailable(failure.reason))
        }

        var answer: [UInt8] = []
        let deadline = ContinuousClock.now.advanced(by: .seconds(configuration.wallSeconds + Self.answerGraceSeconds))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero {
                server.replace(serverProcessId)
                return .outcome(
                    .unavailable("the inspector server gave no answer within \(configuration.wallSeconds) s"))
            }
            let milliseconds = Int32(min(remaining.components.seconds * 1000 + 1, 1000))
            var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno != EINTR { return .outcome(.unavailable("poll: \(errno)")) }
            if ready <= 0 { continue }
            let count = read(readEnd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return .outcome(.unavailable("read: \(errno)")) }
            if count == 0 { break }
            answer.append(contentsOf: buffer[0..<count])
            // Closing the read end (on return) ends a child that goes on writing (SIGPIPE).
            if answer.count > Self.maximumAnswerBytes { return .outcome(.failed("more than 1 MiB of output")) }
        }
        guard let (output, trailer) = ForkServerProtocol.Trailer.split(answer) else {
            server.replace(serverProcessId)
            return .serverEnded
        }
        return .answered(output, trailer)
    }
}
