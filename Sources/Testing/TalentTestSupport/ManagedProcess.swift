import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process of the test run (gateway, worker), with its pid recorded under the run
/// directory so that `scripts/test.sh` can kill leftovers.
public final class ManagedProcess: Sendable {
    public let name: String
    public let pid: pid_t
    let pidFile: URL

    /// Starts `executable` with `arguments`, output appended to `<runDirectory>/<name>.log`.
    public init(
        name: String, executable: URL, arguments: [String], environment: [String: String], runDirectory: URL
    ) throws {
        self.name = name
        self.pid = try ChildProcess.spawn(
            executable.path, arguments, environment: environment,
            output: runDirectory.appendingPathComponent("\(name).log").path)
        self.pidFile = runDirectory.appendingPathComponent("\(name)-\(pid).pid")
        try String(pid).write(to: pidFile, atomically: true, encoding: .utf8)
    }

    /// Whether the process is alive (not exited, not a zombie), without reaping it.
    public var isRunning: Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// Sends `signal` and waits up to `timeout` for the process to end (then SIGKILL); returns its
    /// exit code (128 + signal number when a signal ended it).
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async -> Int32 {
        kill(pid, signal)
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let status = ChildProcess.poll(pid) {
                try? FileManager.default.removeItem(at: pidFile)
                return ChildProcess.exitCode(status)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(pid, SIGKILL)
        let status = await ChildProcess.wait(pid)
        try? FileManager.default.removeItem(at: pidFile)
        return ChildProcess.exitCode(status)
    }
}
