import Foundation
import Logging
import Synchronization

/// A fixed set of dedicated threads, each owning one ``PostgresConnection``.
///
/// Async code hands a synchronous closure to ``withConnection(_:)``; it runs on one of the pool's
/// threads (never on Swift's cooperative pool) with that thread's connection, which is reconnected
/// first if it broke. Connections open lazily, so the pool starts even while the server is down.
public final class PostgresPool: Sendable {
    /// Pool settings.
    public struct Configuration: Sendable {
        /// libpq connection string.
        public var conninfo: String
        /// Number of threads and connections. Default 4.
        public var size: Int

        public init(conninfo: String, size: Int = 4) {
            self.conninfo = conninfo
            self.size = size
        }
    }

    private struct Job {
        let ticket: Ticket
        let enqueued = ContinuousClock.now
        let run: @Sendable (PostgresConnection?, PostgresError?) -> Void
    }

    /// One call's place in the pool, so that cancelling its task frees its thread: a call still waiting
    /// is dropped from the queue, a running one has its statement cancelled on the server.
    ///
    /// `@unchecked Sendable`: `phase` is read and written only while `lock` is held. A cancel request is
    /// sent while holding the lock, and the pool thread takes the lock to finish a call, so a cancel can
    /// never reach the next call on the same connection.
    private final class Ticket: @unchecked Sendable {
        enum Phase {
            case waiting
            case running(PostgresCanceller?)
            case cancelled
            case finished
        }
        let lock = NSLock()
        var phase = Phase.waiting

        /// Called by the pool thread before running the call. - Returns: `false` when it was cancelled.
        func start(_ canceller: PostgresCanceller?) -> Bool {
            lock.withLock {
                guard case .waiting = phase else { return false }
                phase = .running(canceller)
                return true
            }
        }

        func finish() {
            lock.withLock { phase = .finished }
        }

        /// - Returns: `true` when the call had not started (the caller answers it now). A running call
        ///   has its statement cancelled (a cancel that reaches the server between two statements is
        ///   ignored by it; the call then runs on).
        func cancel() -> Bool {
            enum Step {
                case answerNow
                case cancelStatement(PostgresCanceller)
                case nothing
            }
            let step: Step = lock.withLock {
                switch phase {
                case .waiting, .cancelled:
                    // Also when cancelled before: a task cancelled before it called in runs the
                    // cancellation handler before the continuation exists, so the answer comes
                    // from the second call (answering twice is harmless: resume is once-only).
                    phase = .cancelled
                    return .answerNow
                case .running(let canceller?):
                    return .cancelStatement(canceller)
                case .running(nil), .finished:
                    return .nothing
                }
            }
            guard case .cancelStatement(let canceller) = step else {
                if case .answerNow = step { return true }
                return false
            }
            // PQcancel opens a connection to the server: never on the cooperative pool.
            let thread = Thread { [self] in
                lock.withLock {
                    if case .running = phase { canceller.send() }
                }
            }
            thread.name = "postgres-cancel"
            thread.start()
            return false
        }
    }

    /// Shared state between callers and pool threads, guarded by `condition`.
    /// Invariant: `jobs` and `closed` are read and written only while `condition` is locked.
    private final class State: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [Job] = []
        var closed = false
        var live = 0
    }

    private let state = State()
    public let configuration: Configuration
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger = Logger(label: "postgres.pool")) {
        self.configuration = configuration
        self.logger = logger
        let metrics = PoolMetrics()
        for index in 0..<max(configuration.size, 1) {
            let thread = Thread { [state, configuration, logger] in
                Self.threadMain(state: state, conninfo: configuration.conninfo, metrics: metrics, logger: logger)
            }
            thread.name = "postgres-\(index)"
            state.condition.lock()
            state.live += 1
            state.condition.unlock()
            thread.start()
        }
    }

    /// Runs `body` with a connection on a pool thread and returns its value.
    ///
    /// Cancelling the calling task frees the thread: a call still waiting for a thread throws
    /// `CancellationError` at once; a running one has its statement cancelled on the server (the
    /// statement fails with SQLSTATE 57014, a transaction rolls back) and throws that error.
    /// - Throws: what `body` throws; ``PostgresError/Code/connectionFailed`` when no connection could be
    ///   made; ``PostgresError/Code/poolClosed`` after ``shutdown()``; `CancellationError`.
    @discardableResult
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let ticket = Ticket()
        let answer = Mutex<CheckedContinuation<T, any Error>?>(nil)
        @Sendable func resume(_ result: Result<T, any Error>) {
            answer.withLock { continuation in
                defer { continuation = nil }
                return continuation
            }?.resume(with: result)
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                answer.withLock { $0 = continuation }
                let job = Job(ticket: ticket) { connection, error in
                    guard let connection else {
                        resume(.failure(error ?? PostgresError(code: .poolClosed, message: "pool closed")))
                        return
                    }
                    resume(Result { try body(connection) })
                }
                state.condition.lock()
                if state.closed {
                    state.condition.unlock()
                    resume(.failure(PostgresError(code: .poolClosed, message: "pool closed")))
                    return
                }
                state.jobs.append(job)
                state.condition.signal()
                state.condition.unlock()
                if Task.isCancelled, ticket.cancel() { resume(.failure(CancellationError())) }
            }
        } onCancel: {
            if ticket.cancel() { resume(.failure(CancellationError())) }
        }
    }

    /// Runs `body` in a transaction on a pool thread.
    @discardableResult
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T
    {
        try await withConnection { connection in try connection.transaction(body) }
    }

    /// Stops accepting work, lets queued work finish, closes the connections.
    public func shutdown() {
        state.condition.lock()
        state.closed = true
        state.condition.broadcast()
        state.condition.unlock()
    }

    private static func threadMain(state: State, conninfo: String, metrics: PoolMetrics, logger: Logger) {
        var connection: PostgresConnection?
        while true {
            state.condition.lock()
            while state.jobs.isEmpty && !state.closed { state.condition.wait() }
            if state.jobs.isEmpty && state.closed {
                state.live -= 1
                state.condition.unlock()
                return
            }
            let job = state.jobs.removeFirst()
            state.condition.unlock()
            metrics.wait.record(duration: job.enqueued.duration(to: .now))
            do {
                if let existing = connection {
                    try existing.ensureConnected()
                } else {
                    connection = try PostgresConnection(conninfo: conninfo)
                }
                // A call cancelled while it waited was answered already: skip it.
                guard job.ticket.start(connection?.makeCanceller()) else { continue }
                defer { job.ticket.finish() }
                job.run(connection, nil)
            } catch {
                logger.warning("postgres connection failed", metadata: ["error": "\(error.message)"])
                metrics.connectionFailures.increment()
                connection = nil
                job.run(nil, error)
            }
        }
    }
}
