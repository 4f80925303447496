import Foundation
import Logging

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
        let run: @Sendable (PostgresConnection?, PostgresError?) -> Void
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
        for index in 0..<max(configuration.size, 1) {
            let thread = Thread { [state, configuration, logger] in
                Self.threadMain(state: state, conninfo: configuration.conninfo, logger: logger)
            }
            thread.name = "postgres-\(index)"
            state.condition.lock()
            state.live += 1
            state.condition.unlock()
            thread.start()
        }
    }

    /// Runs `body` with a connection on a pool thread and returns its value.
    /// - Throws: what `body` throws; ``PostgresError/Code/connectionFailed`` when no connection could be
    ///   made; ``PostgresError/Code/poolClosed`` after ``shutdown()``.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job { connection, error in
                guard let connection else {
                    continuation.resume(throwing: error ?? PostgresError(code: .poolClosed, message: "pool closed"))
                    return
                }
                continuation.resume(with: Result { try body(connection) })
            }
            state.condition.lock()
            if state.closed {
                state.condition.unlock()
                continuation.resume(throwing: PostgresError(code: .poolClosed, message: "pool closed"))
                return
            }
            state.jobs.append(job)
            state.condition.signal()
            state.condition.unlock()
        }
    }

    /// Runs `body` in a transaction on a pool thread.
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

    private static func threadMain(state: State, conninfo: String, logger: Logger) {
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
            do {
                if let existing = connection {
                    try existing.ensureConnected()
                } else {
                    connection = try PostgresConnection(conninfo: conninfo)
                }
                job.run(connection, nil)
            } catch {
                logger.warning("postgres connection failed", metadata: ["error": "\(error.message)"])
                connection = nil
                job.run(nil, error)
            }
        }
    }
}
