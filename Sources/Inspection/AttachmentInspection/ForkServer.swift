import CSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The inspector fork server: `talent-inspect --serve`, started once by a worker's
/// ``ContainedInspector`` with a `SOCK_SEQPACKET` socket as its standard input.
///
/// It loads libmagic's database once, then forks one fresh child per request
/// (``ForkServerProtocol``): the child sets its own limits (CPU time, address space, no core file),
/// asks for SIGKILL when the server ends (`PR_SET_PDEATHSIG`), inspects the file and exits. Forking a
/// loaded process costs a fraction of a millisecond where starting `talent-inspect` anew costs about
/// 20 ms of CPU. The server kills a child at its wall-clock limit, reaps it (a pidfd per child) and
/// appends the ``ForkServerProtocol/Trailer`` with its wait status to the answer. It ends when the
/// worker closes the socket.
///
/// The server is single-threaded and never starts a thread or a task: `fork` is safe only in such a
/// process (a child of a multi-threaded one could inherit a lock held by another thread).
public enum ForkServer {
    /// A misbehaviour forced on every child, for the tests of the containment (`--fault NAME`).
    public enum Fault: String, Sendable, CaseIterable {
        /// The child ends with SIGSEGV.
        case crash
        /// The child sleeps until it is killed at the wall-clock limit.
        case hang
        /// The child spins until its CPU-time limit ends it.
        case spin
        /// The child prints something that is not a verdict.
        case garbage
        /// The child tries to start a process that would outlive it and forge the answer (it cannot:
        /// seccomp); it says whether `fork` was refused.
        case escape
    }

    private struct Child {
        var pid: pid_t
        var pidDescriptor: Int32
        var answer: Int32
        var deadline: ContinuousClock.Instant
        var killedAtWallLimit = false
    }

    static func main(arguments: [String]) -> Never {
        var fault: Fault?
        if arguments.count == 2, arguments[0] == "--fault", let named = Fault(rawValue: arguments[1]) {
            fault = named
        } else if !arguments.isEmpty {
            FileHandle.standardError.write(
                Data("usage: talent-inspect --serve [--fault crash|hang|spin|garbage|escape]\n".utf8))
            exit(InspectorProcess.ExitStatus.usage.rawValue)
        }
        // A worker that went away must not end the server with SIGPIPE while it writes a trailer. The
        // server ends when its worker closes the socket (or by SIGKILL from it), never by a terminal's
        // or service manager's SIGINT/SIGTERM/SIGHUP meant for the worker, which is draining; the
        // children inherit these dispositions. Children are reaped with wait4: SIGCHLD stays default.
        signal(SIGPIPE, SIG_IGN)
        for ignored in [SIGINT, SIGTERM, SIGHUP] { signal(ignored, SIG_IGN) }
        signal(SIGCHLD, SIG_DFL)
        let detector = ContentTypeDetector()
        // Without libmagic's database every file would be judged by its name alone: exit instead
        // (the worker sees no trailer and does not judge the file).
        guard detector.isLoaded else {
            FileHandle.standardError.write(Data("talent-inspect: libmagic's database did not load\n".utf8))
            exit(InspectorProcess.ExitStatus.internalError.rawValue)
        }
        warmUp(detector: detector)
        serve(control: 0, detector: detector, fault: fault)
        exit(0)
    }

    /// Serves requests on `control` until the worker closes it.
    static func serve(control: Int32, detector: ContentTypeDetector, fault: Fault?) {
        var children: [Child] = []
        var message = [UInt8](repeating: 0, count: ForkServerProtocol.maximumRequestLength)
        while true {
            var descriptors = [pollfd(fd: control, events: Int16(POLLIN), revents: 0)]
            descriptors += children.map { pollfd(fd: $0.pidDescriptor, events: Int16(POLLIN), revents: 0) }
            let now = ContinuousClock.now
            // Until the nearest wall-clock limit of a child not yet killed.
            let timeout =
                children.filter { !$0.killedAtWallLimit }.map { now.duration(to: $0.deadline) }.min()
                .map { max(Self.milliseconds($0), 0) } ?? -1
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 && errno != EINTR { return }

            // Children that ended: reap, answer, forget.
            for (index, descriptor) in descriptors.enumerated().dropFirst().reversed() where descriptor.revents != 0 {
                let child = children.remove(at: index - 1)
                Self.reap(child)
            }
            // Children past their wall-clock limit: kill (unless one has just ended: its answer
            // stands); they are reaped when their pidfd says so.
            let after = ContinuousClock.now
            for index in children.indices where !children[index].killedAtWallLimit && children[index].deadline <= after
            {
                var ended = pollfd(fd: children[index].pidDescriptor, events: Int16(POLLIN), revents: 0)
                if poll(&ended, 1, 0) == 1 { continue }
                kill(children[index].pid, SIGKILL)
                children[index].killedAtWallLimit = true
            }

            guard descriptors[0].revents != 0 else { continue }
            var passed = [Int32](repeating: -1, count: 2)
            var received: Int32 = 0
            var truncated: Int32 = 0
            let length = talent_receive_with_descriptors(
                control, &message, message.count, &passed, 2, &received, &truncated)
            if length < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if length <= 0 { return }  // the worker closed the socket (or it broke): end
            let passedDescriptors = Array(passed[0..<Int(received)])
            guard received == 2, truncated == 0,
                let request = ForkServerProtocol.Request(message[0..<length])
            else {
                // The answer pipe is the second descriptor: with any other number, which is which is
                // unknown, and nothing is written to either (the worker sees no trailer).
                if received == 2 {
                    close(passedDescriptors[0])
                    Self.answer(passedDescriptors[1], ForkServerProtocol.Trailer(status: 0, badRequest: true))
                } else {
                    for descriptor in passedDescriptors { close(descriptor) }
                }
                continue
            }
            let (input, answer) = (passedDescriptors[0], passedDescriptors[1])
            if let child = Self.start(
                request, input: input, answer: answer, control: control, detector: detector, fault: fault)
            {
                children.append(child)
            }
            close(input)
        }
    }

    /// Forks the child of one request; answers at once (and returns `nil`) when it cannot.
    private static func start(
        _ request: ForkServerProtocol.Request, input: Int32, answer: Int32, control: Int32,
        detector: ContentTypeDetector, fault: Fault?
    ) -> Child? {
        let server = getpid()
        let pid = fork()
        if pid == 0 {
            runChild(request, input: input, answer: answer, server: server, detector: detector, fault: fault)
        }
        guard pid > 0 else {
            Self.answer(answer, ForkServerProtocol.Trailer(status: errno, forkFailed: true))
            return nil
        }
        let pidDescriptor = talent_pidfd_open(pid)
        guard pidDescriptor >= 0 else {
            // Cannot watch it: end it now; how it ended says nothing about the file.
            kill(pid, SIGKILL)
            var status: Int32 = 0
            var cpu: UInt32 = 0
            _ = talent_wait_child(pid, &status, &cpu)
            Self.answer(answer, ForkServerProtocol.Trailer(status: status, statusUnknown: true))
            return nil
        }
        return Child(
            pid: pid, pidDescriptor: pidDescriptor, answer: answer,
            deadline: .now.advanced(by: .seconds(Int(request.wallSeconds))))
    }

    /// Waits for a child that ended (its pidfd is readable), answers with how it ended, closes its pidfd.
    private static func reap(_ child: Child) {
        var status: Int32 = 0
        var cpu: UInt32 = 0
        let reaped = talent_wait_child(child.pid, &status, &cpu)
        Self.answer(
            child.answer,
            ForkServerProtocol.Trailer(
                status: status, cpuMilliseconds: cpu, killedAtWallLimit: child.killedAtWallLimit,
                statusUnknown: reaped != child.pid))
        close(child.pidDescriptor)
    }

    /// The forked child: never returns.
    private static func runChild(
        _ request: ForkServerProtocol.Request, input: Int32, answer: Int32, server: pid_t,
        detector: ContentTypeDetector, fault: Fault?
    ) -> Never {
        // Die with the server; if it already ended before this was set, end now.
        _ = talent_set_parent_death_signal(SIGKILL)
        if getppid() != server { _exit(InspectorProcess.ExitStatus.internalError.rawValue) }
        signal(SIGPIPE, SIG_DFL)
        guard dup2(input, 0) == 0, dup2(answer, 1) == 1 else {
            _exit(InspectorProcess.ExitStatus.internalError.rawValue)
        }
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 { _ = dup2(null, 2) }
        // The control socket, the other children's answers and pidfds: none stays open here.
        closefrom(3)
        InspectorProcess.limitSelf(cpuSeconds: rlim_t(max(request.cpuSeconds, 1)))
        // No process of its own, ever: a parser taken over cannot leave one behind that outlives these
        // limits or writes to the answer after the server's trailer.
        guard talent_forbid_new_processes() == 0 else { _exit(InspectorProcess.ExitStatus.internalError.rawValue) }
        switch fault {
        case .crash?:
            raise(SIGSEGV)
            _exit(InspectorProcess.ExitStatus.internalError.rawValue)
        case .hang?: while true { sleep(60) }
        case .spin?:
            var counter: UInt64 = 0
            while true { counter &+= 1 }
        case .garbage?: _exit(InspectorProcess.writeAll(Array("not-json".utf8), descriptor: 1) ? 0 : 70)
        case .escape?:
            let forked = fork()
            if forked == 0 {
                // Would outlive the child, holding the answer open, and write a forged verdict last.
                let forged = #"{"detectedType":"image/png","outcome":"accepted","warnings":[]}"#
                _ = InspectorProcess.writeAll(Array(forged.utf8), descriptor: 1)
                sleep(60)
                _exit(0)
            }
            let said = forked < 0 && errno == EPERM ? "fork refused" : "fork allowed"
            _exit(InspectorProcess.writeAll(Array(said.utf8), descriptor: 1) ? 0 : 70)
        case nil: break
        }
        _exit(InspectorProcess.inspectStandardInput(requestJSON: request.requestJSON, detector: detector).rawValue)
    }

    /// Appends `trailer` to an answer and closes it, waiting at most 2 s for room in the pipe (the
    /// worker reads all the time; one that stopped gets no trailer and treats the answer as the
    /// server's fault).
    private static func answer(_ descriptor: Int32, _ trailer: ForkServerProtocol.Trailer) {
        defer { close(descriptor) }
        let flags = fcntl(descriptor, F_GETFL)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) }
        let bytes = trailer.bytes
        var written = 0
        let deadline = ContinuousClock.now.advanced(by: .seconds(2))
        while written < bytes.count, ContinuousClock.now < deadline {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if result > 0 {
                written += result
                continue
            }
            guard result < 0, errno == EAGAIN || errno == EINTR else { return }
            var room = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            _ = poll(&room, 1, 100)
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
    }
}
