import CSpawn
import Foundation
import TalentCore

#if canImport(Glibc)
    import Glibc
#endif

/// Runs ``AttachmentInspector`` in a disposable `talent-inspect` child process, so that a file which
/// crashes or hangs a parser costs one child, never the worker.
///
/// The child gets the bytes on stdin (a deleted temporary file), the request as JSON in its
/// argument, limits its own CPU time and address space, and prints the verdict as JSON. The parent
/// kills it with SIGKILL at the wall-clock limit. A child that crashes or overruns is tried once more
/// (the machine may have been busy); a second failure quarantines the file: it is rejected as
/// `corrupt` with the failure recorded as a warning. Blocking calls run on a dedicated thread.
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

        public init(executablePath: String? = nil, cpuSeconds: Int = 10, wallSeconds: Int = 20, attempts: Int = 2) {
            self.executablePath = executablePath ?? Self.besideCurrentExecutable("talent-inspect")
            self.cpuSeconds = cpuSeconds
            self.wallSeconds = wallSeconds
            self.attempts = attempts
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
    }

    /// Inspection could not run at all; the job should be retried, not judged.
    public struct Unavailable: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

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
        let configuration = self.configuration
        return await withCheckedContinuation { (continuation: CheckedContinuation<ChildOutcome, Never>) in
            let thread = Thread {
                continuation.resume(returning: Self.spawnAndWait(bytes, request: request, configuration: configuration))
            }
            thread.name = "inspect"
            thread.start()
        }
    }

    static func spawnAndWait(_ bytes: [UInt8], request: InspectionRequest, configuration: Configuration) -> ChildOutcome
    {
        guard let requestJSON = try? JSONEncoder().encode(request) else { return .unavailable("cannot encode request") }
        // stdin: an unlinked temporary file holding the bytes.
        var template = Array((NSTemporaryDirectory() + "/talent-inspect-XXXXXX").utf8CString)
        let input = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard input >= 0 else { return .unavailable("mkstemp: \(errno)") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        defer { close(input) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(input, $0.baseAddress! + written, bytes.count - written) }
            if result <= 0 { return .unavailable("write: \(errno)") }
            written += result
        }
        lseek(input, 0, SEEK_SET)

        var pipeDescriptors: [Int32] = [0, 0]
        guard pipe(&pipeDescriptors) == 0 else { return .unavailable("pipe: \(errno)") }
        let (readEnd, writeEnd) = (pipeDescriptors[0], pipeDescriptors[1])
        // Not inherited by children spawned concurrently on other threads (they would hold the write
        // end open and delay EOF); posix_spawn's dup2 clears the flag on the child's copy.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(input, F_SETFD, FD_CLOEXEC)
        defer { close(readEnd) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // The child gets stdin, stdout and stderr only: not the worker's database and broker sockets,
        // nor any other descriptor that happened to lack FD_CLOEXEC.
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)

        let arguments = [configuration.executablePath, String(decoding: requestJSON, as: UTF8.self)]
        let environment = ["TALENT_INSPECT_CPU_SECONDS=\(configuration.cpuSeconds)", "PATH=/usr/bin:/bin"]
        var pid: pid_t = 0
        var spawned: Int32 = 0
        // ETXTBSY: the executable is still open for writing somewhere (being replaced, or a file
        // descriptor a concurrently forked process inherited); it clears within moments.
        for attempt in 0..<5 {
            spawned = withCStrings(arguments) { argv in
                withCStrings(environment) { envp in
                    posix_spawn(&pid, configuration.executablePath, &actions, nil, argv, envp)
                }
            }
            guard spawned == ETXTBSY else { break }
            usleep(UInt32(20_000 << attempt))
        }
        close(writeEnd)
        guard spawned == 0 else { return .unavailable("spawn \(configuration.executablePath): \(spawned)") }

        // Read stdout until EOF or the wall-clock deadline.
        var output: [UInt8] = []
        let deadline = ContinuousClock.now.advanced(by: .seconds(configuration.wallSeconds))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var timedOut = false
        var cleanEOF = false
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero {
                timedOut = true
                break
            }
            let milliseconds = Int32(min(remaining.components.seconds * 1000 + 1, 1000))
            var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno != EINTR { break }
            if ready <= 0 { continue }
            let count = read(readEnd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count == 0 { cleanEOF = true }
            if count <= 0 { break }
            output.append(contentsOf: buffer[0..<count])
            if output.count > 1 << 20 { break }  // a verdict is small; more is a broken child
        }
        // Anything but a clean end of output (time limit, oversized output, read error) ends the
        // child here, so that waitpid below cannot wait for a child blocked on a full pipe.
        if !cleanEOF { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { return .timedOut }
        let signalled = status & 0x7f
        if signalled != 0 {
            // RLIMIT_CPU ends the child with SIGXCPU (soft limit) or SIGKILL (hard limit).
            return signalled == SIGXCPU || signalled == SIGKILL ? .timedOut : .crashed(signal: signalled)
        }
        let exitCode = (status >> 8) & 0xff
        guard exitCode == 0 else { return .failed("exit status \(exitCode)") }
        guard let verdict = try? JSONDecoder().decode(AttachmentVerdict.self, from: Data(output)) else {
            return .failed("unreadable verdict")
        }
        return .verdict(verdict)
    }
}

/// Calls `body` with a NULL-terminated C array of copies of `strings`.
private func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
