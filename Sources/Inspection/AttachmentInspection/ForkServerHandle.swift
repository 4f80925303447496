import CSpawn
import Metrics
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A worker's side of its ``ForkServer``: starts `talent-inspect --serve` on first use, sends it
/// requests, and starts a new one when the old one has gone (killed, crashed, out of memory).
///
/// Every call blocks (spawn, `sendmsg`): call it from a dedicated thread, never the cooperative pool.
/// Requests from many threads share the socket: each is one `SOCK_SEQPACKET` message, sent under the
/// lock that also guards a restart.
final class ForkServerHandle: Sendable {
    private struct Running {
        var pid: pid_t
        var control: Int32
    }

    let executablePath: String
    let arguments: [String]
    private let running = Mutex<Running?>(nil)

    /// - Parameters:
    ///   - executablePath: the `talent-inspect` executable.
    ///   - arguments: its arguments after the program name (`--serve`, and a fault for tests).
    init(executablePath: String, arguments: [String]) {
        self.executablePath = executablePath
        self.arguments = arguments
    }

    deinit {
        running.withLock { Self.stop(&$0) }
    }

    /// Sends one request with its two descriptors (the file, the answer pipe's write end); the
    /// caller keeps and closes its own copies. A server that is gone is replaced once.
    /// - Returns: the server's process id when sent, else why no server took it (no executable, no
    ///   socket).
    func submit(_ message: [UInt8], input: Int32, answer: Int32) -> Result<pid_t, SubmitFailure> {
        running.withLock { running in
            var lastError = "no attempt"
            for _ in 0..<2 {
                if running == nil {
                    switch Self.spawn(executablePath: executablePath, arguments: arguments) {
                    case .success(let started): running = started
                    case .failure(let failure): return .failure(failure)
                    }
                }
                guard let server = running else { continue }
                switch Self.send(message, input: input, answer: answer, on: server.control) {
                case .none: return .success(server.pid)
                case .some(let problem): lastError = problem
                }
                // The server is gone or broken: end it (if it still runs) and start another.
                Self.stop(&running)
            }
            return .failure(SubmitFailure(reason: lastError))
        }
    }

    /// Ends server `pid` if it still is the running one (it gave no answer in time, or ended during
    /// one); the next request starts another.
    func replace(_ pid: pid_t) {
        running.withLock { running in
            if running?.pid == pid { Self.stop(&running) }
        }
    }

    /// The running server's process id, `nil` before the first request (for tests).
    var serverProcessId: pid_t? {
        running.withLock { $0?.pid }
    }

    /// How long a request may wait for room in the socket (a server that stopped reading).
    static let sendTimeout = Duration.seconds(5)

    /// Sends one request without blocking past ``sendTimeout``; `nil` when sent, else the problem.
    private static func send(_ message: [UInt8], input: Int32, answer: Int32, on control: Int32) -> String? {
        let descriptors = [input, answer]
        let deadline = ContinuousClock.now.advanced(by: sendTimeout)
        while true {
            let sent = message.withUnsafeBytes { bytes in
                talent_send_with_descriptors(control, bytes.baseAddress, bytes.count, descriptors, 2)
            }
            if sent == message.count { return nil }
            if sent >= 0 { return "sendmsg: message cut short" }
            guard errno == EAGAIN || errno == EINTR else { return "sendmsg: \(String(cString: strerror(errno)))" }
            guard ContinuousClock.now < deadline else {
                return "the inspector server did not take the request within 5 s"
            }
            var room = pollfd(fd: control, events: Int16(POLLOUT), revents: 0)
            _ = poll(&room, 1, 100)
        }
    }

    struct SubmitFailure: Error {
        var reason: String
    }

    private static func stop(_ running: inout Running?) {
        guard let server = running else { return }
        running = nil
        close(server.control)
        // Its children end with it (PR_SET_PDEATHSIG).
        kill(server.pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(server.pid, &status, 0) < 0 && errno == EINTR {}
    }

    private static func spawn(executablePath: String, arguments: [String]) -> Result<Running, SubmitFailure> {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            return .failure(SubmitFailure(reason: "socketpair: \(String(cString: strerror(errno)))"))
        }
        let (ours, theirs) = (pair[0], pair[1])
        defer { close(theirs) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Every signal at its default and none blocked: nothing the worker's thread ignores or blocks.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        _ = talent_spawnattr_reset_signals(&attributes)
        posix_spawn_file_actions_adddup2(&actions, theirs, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        // Standard error stays the worker's (the server's own messages reach its log). Nothing else
        // is inherited: not the worker's database and broker sockets.
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)

        let argv = [executablePath] + arguments
        // No Swift crash handler: a crashing child ends by its signal at once (nothing to symbolicate).
        let environment = ["PATH=/usr/bin:/bin", "SWIFT_BACKTRACE=enable=no"]
        var pid: pid_t = 0
        var spawned: Int32 = 0
        // ETXTBSY: the executable is still open for writing somewhere (being replaced, or a descriptor a
        // concurrently forked process inherited); it clears within moments.
        for attempt in 0..<5 {
            spawned = withCStrings(argv) { argv in
                withCStrings(environment) { envp in posix_spawn(&pid, executablePath, &actions, &attributes, argv, envp)
                }
            }
            guard spawned == ETXTBSY else { break }
            usleep(UInt32(20_000 << attempt))
        }
        guard spawned == 0 else {
            close(ours)
            return .failure(SubmitFailure(reason: "spawn \(executablePath): \(String(cString: strerror(spawned)))"))
        }
        Counter(label: "talent_inspector_server_starts_total").increment()
        return .success(Running(pid: pid, control: ours))
    }
}

/// Calls `body` with a NULL-terminated C array of copies of `strings`.
private func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
