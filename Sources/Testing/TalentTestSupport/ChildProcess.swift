import CSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Spawns and reaps child processes with posix_spawn and waitpid. Foundation's `Process` on Linux
/// can miss a child's exit (seen here: `waitUntilExit` hung on a reaped-looking zombie while tests
/// spawned and killed many processes), so the test support does not use it.
public enum ChildProcess {
    /// Starts `executable`; stdout and stderr go to `output` (a path, appended) or /dev/null.
    /// Descriptors other than 0–2 are not inherited.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, output: String? = nil
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        let environmentList = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStrings([executable] + arguments) { argv in
            withCStrings(environmentList) { envp in posix_spawn(&pid, executable, &actions, nil, argv, envp) }
        }
        guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EIO) }
        return pid
    }

    /// Waits for `pid` on a dedicated thread (waitpid blocks) and returns its wait status.
    public static func wait(_ pid: pid_t) async -> Int32 {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                continuation.resume(returning: status)
            }
            thread.start()
        }
    }

    /// Whether `pid` has exited (reaping it when it has); returns its wait status then.
    public static func poll(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid ? status : nil
    }

    /// Runs a command to completion; returns its exit code (128 + signal when killed).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil)
        async throws -> Int32
    {
        let status = await wait(try spawn(executable, arguments, environment: environment))
        return exitCode(status)
    }

    /// Exit code from a wait status: the exit status, or 128 + the signal number.
    public static func exitCode(_ status: Int32) -> Int32 {
        status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

private func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
