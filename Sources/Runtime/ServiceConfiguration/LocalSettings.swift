import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The local system's settings for a command run without a prior `source deploy/local/env.sh`.
///
/// `deploy/local/env.sh` stays the one place they are written: the script of the checkout a binary
/// sits in (the first parent folder of the binary holding `deploy/local/env.sh`) is sourced by
/// `/bin/bash` with this process's environment, and the `TALENT_*` variables it exports are taken.
/// Variables already set win: env.sh keeps every value it is given (`${TALENT_PG_PORT:-54329}`).
/// Nothing is read when `TALENT_HOME` is set: env.sh was sourced already, or a test system set its own.
public struct LocalSettings: Sendable, Equatable {
    /// Where the settings in effect come from.
    public enum Origin: Sendable, Equatable {
        /// The environment alone (`TALENT_HOME` was set, or `TALENT_*` variables without a checkout).
        case environment
        /// `deploy/local/env.sh` at this path, on top of the environment.
        case script(String)
        /// Neither: no `TALENT_*` variable is set and no checkout is above the binary.
        case none
    }

    public var origin: Origin
    /// Every `TALENT_*` variable in effect, by name.
    public var variables: [String: String]

    /// The settings for a process whose binary is in `binaryDirectory`.
    /// - Throws: ``LocalSettingsError`` (`scriptFailed`) when env.sh exists but cannot be sourced.
    public static func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment, binaryDirectory: URL
    ) throws(LocalSettingsError) -> LocalSettings {
        let own = environment.filter { $0.key.hasPrefix("TALENT_") }
        if own["TALENT_HOME"] != nil { return LocalSettings(origin: .environment, variables: own) }
        guard let script = script(above: binaryDirectory) else {
            return LocalSettings(origin: own.isEmpty ? .none : .environment, variables: own)
        }
        let exported = try source(script, environment: environment)
        return LocalSettings(
            origin: .script(script.path), variables: own.merging(exported) { given, _ in given })
    }

    /// `deploy/local/env.sh` of the checkout `directory` is in: the nearest parent folder holding
    /// both `Package.swift` and that script, the script owned by this user or root and writable by no
    /// one else (a script planted in a shared folder such as `/tmp/deploy/local/` is never run).
    public static func script(above directory: URL) -> URL? {
        var candidate = directory.standardizedFileURL
        while true {
            let script = candidate.appendingPathComponent("deploy/local/env.sh")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("Package.swift").path),
                trusted(script)
            {
                return script
            }
            guard candidate.path != "/" else { return nil }
            candidate.deleteLastPathComponent()
        }
    }

    /// Readable, owned by this user or root, not group- or world-writable.
    static func trusted(_ script: URL) -> Bool {
        guard FileManager.default.isReadableFile(atPath: script.path),
            let attributes = try? FileManager.default.attributesOfItem(atPath: script.path),
            let owner = (attributes[.ownerAccountID] as? NSNumber)?.uint32Value,
            let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue
        else { return false }
        return (owner == 0 || owner == getuid()) && permissions & 0o022 == 0
    }

    /// The `TALENT_*` variables `script` exports when sourced by bash with `environment`.
    static func source(_ script: URL, environment: [String: String]) throws(LocalSettingsError) -> [String: String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        // `env -0`: values may hold spaces and newlines (a libpq connection string does).
        process.arguments = ["-c", "source \"$1\" >/dev/null && exec env -0", "bash", script.path]
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw LocalSettingsError(code: .scriptFailed, script: script.path, detail: "\(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw LocalSettingsError(
                code: .scriptFailed, script: script.path, detail: "bash exited with \(process.terminationStatus)")
        }
        return parse(environmentBlock: data)
    }

    /// The `TALENT_*` entries of `env -0` output (`NAME=value` entries separated by NUL bytes).
    static func parse(environmentBlock data: Data) -> [String: String] {
        var variables: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "="), text.hasPrefix("TALENT_") else { continue }
            variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return variables
    }

    /// Stops a command that talks to the services when there are no settings at all: it would
    /// otherwise try the built-in defaults (PostgreSQL on 5432, RabbitMQ on 5672) and fail later.
    /// - Throws: ``LocalSettingsError`` (`missing`) when ``origin`` is ``Origin/none``.
    public func requireSome(binaryDirectory: URL) throws(LocalSettingsError) {
        guard origin == .none else { return }
        throw LocalSettingsError(code: .missing, script: binaryDirectory.path, detail: "")
    }
}

/// Local settings that could not be read. ``description`` says what to do; it names no values.
public struct LocalSettingsError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// `deploy/local/env.sh` was found but sourcing it failed.
        public static let scriptFailed = Code(name: "script_failed")
        /// No `TALENT_*` variable is set and no checkout is above the binary.
        public static let missing = Code(name: "missing")
        public var description: String { name }
    }

    public var code: Code
    /// The script (`scriptFailed`) or the binary's folder (`missing`).
    public var script: String
    public var detail: String

    public var description: String {
        switch code {
        case .scriptFailed:
            return "cannot read the local settings from \(script) (\(detail)); fix it or set the TALENT_* variables"
        default:
            return
                "no settings: no TALENT_* variable is set and no deploy/local/env.sh is above \(script); run `source deploy/local/env.sh` in the checkout, or set TALENT_POSTGRES_URL, TALENT_AMQP_HOST, TALENT_AMQP_PORT and TALENT_HTTP_PORT (README, Operating it)"
        }
    }
}
