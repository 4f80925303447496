import ArgumentParser
import AttachmentInspection
import Foundation
import TalentCore

#if canImport(Glibc)
    import Glibc
#endif

/// `talentctl system start|stop|restart` and `talentctl workers scale KIND COUNT`: the local system's
/// processes (the scripts under `deploy/local/`), with the binaries beside this `talentctl`: nothing is
/// built. The scripts read the local settings themselves (`deploy/local/env.sh`). `restart` restarts the
/// gateway and the workers (as many of each kind as run now) and starts PostgreSQL, RabbitMQ and
/// Prometheus if they are down (`stop` then `start` restarts those too).
struct System: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start, stop or restart the local system (services, gateway, workers, Prometheus) without building.")

    @Argument(help: "start, stop or restart.") var action: String

    func run() throws {
        let bin = LocalScripts.binDirectory
        let steps: [[String]]
        switch action {
        case "start":
            steps = [["services.sh", "start"], ["processes.sh", "start", bin], ["monitoring.sh", "start"]]
        case "stop":
            steps = [["processes.sh", "stop"], ["monitoring.sh", "stop"], ["services.sh", "stop"]]
        case "restart":
            steps = [["services.sh", "start"], ["processes.sh", "restart", bin], ["monitoring.sh", "start"]]
        default: throw ValidationError("action must be start, stop or restart")
        }
        for step in steps {
            print("system \(action): deploy/local/\(step.prefix(2).joined(separator: " "))")
            try LocalScripts.run(step)
        }
    }
}

/// `talentctl workers scale KIND COUNT`.
struct Workers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a number of local worker processes of one kind.", subcommands: [Scale.self])

    struct Scale: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Exactly COUNT local workers of KIND: starts the missing ones, drains and stops the others (SIGTERM).")

        @Argument(help: "Job kind: attachment.validation, association.decision or unit.profile.") var kind: String
        @Argument(help: "Worker processes (0 stops them all).") var count: Int

        func run() throws {
            guard JobKind(rawValue: kind) != nil else {
                throw ValidationError(
                    "unknown job kind \(kind): \(JobKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard (0...64).contains(count) else { throw ValidationError("COUNT must be 0…64") }
            try LocalScripts.run(["processes.sh", "scale", kind, String(count), LocalScripts.binDirectory])
        }
    }
}

/// Runs the local system's scripts (`deploy/local/NAME`) and waits for them.
enum LocalScripts {
    /// The directory of the running `talentctl` (the build's binaries).
    static var binDirectory: String {
        URL(fileURLWithPath: ContainedInspector.Configuration.besideCurrentExecutable("talentctl"))
            .deletingLastPathComponent().path
    }

    /// `deploy/local` of the checkout: `TALENT_ROOT`, else the first parent of the binaries that has it.
    static func directory() throws -> URL {
        let manager = FileManager.default
        if let root = ProcessInfo.processInfo.environment["TALENT_ROOT"] {
            return URL(fileURLWithPath: root).appendingPathComponent("deploy/local")
        }
        var candidate = URL(fileURLWithPath: binDirectory)
        while candidate.path != "/" {
            let scripts = candidate.appendingPathComponent("deploy/local")
            if manager.fileExists(atPath: scripts.appendingPathComponent("processes.sh").path) { return scripts }
            candidate.deleteLastPathComponent()
        }
        throw ValidationError("no deploy/local/ above \(binDirectory): set TALENT_ROOT to the checkout")
    }

    /// Runs `deploy/local/<arguments[0]> <arguments[1…]>` with this process's output; throws its exit
    /// status when not 0.
    static func run(_ arguments: [String]) throws {
        let script = try directory().appendingPathComponent(arguments[0]).path
        fflush(nil)  // what this process printed comes before the script's lines
        var pid: pid_t = 0
        let argv = ["/bin/bash", script] + arguments.dropFirst()
        var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        let spawned = posix_spawn(&pid, "/bin/bash", nil, nil, &pointers, environ)
        guard spawned == 0 else { throw ValidationError("cannot run \(script): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status >> 8) & 0xff
        if status & 0x7f != 0 || code != 0 { throw ExitCode(code == 0 ? 1 : code) }
    }
}
