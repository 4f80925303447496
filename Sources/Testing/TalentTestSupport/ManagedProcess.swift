import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process of the test run (gateway, worker), with its pid recorded under the run
/// directory so that `scripts/test.sh` can kill leftovers.
public final class ManagedProcess: Sendable {
    public let name: String
    let process: Process
    let pidFile: URL

    /// Starts `executable` with `arguments`, output appended to `<runDirectory>/<name>.log`.
    public init(
        name: String, executable: URL, arguments: [String], environment: [String: String], runDirectory: URL
    ) throws {
        self.name = name
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let log = runDirectory.appendingPathComponent("\(name).log")
        if !FileManager.default.fileExists(atPath: log.path) {
            FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
        self.pidFile = runDirectory.appendingPathComponent("\(name)-\(process.processIdentifier).pid")
        try String(process.processIdentifier).write(to: pidFile, atomically: true, encoding: .utf8)
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Sends `signal` and waits up to `timeout` for the process to end; returns its termination status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async -> Int32 {
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: pidFile)
        return process.terminationStatus
    }
}
