import ArgumentParser
import Foundation
import ServiceConfiguration

#if canImport(Glibc)
    import Glibc
#endif

/// The settings `talentctl` runs with: the environment, completed from the checkout's
/// `deploy/local/env.sh` when it was not sourced (``LocalSettings``).
enum LocalSystemSettings {
    /// Resolved once, by ``apply()`` before the arguments are parsed; a script that cannot be sourced
    /// stops the command (exit 78, `EX_CONFIG`).
    static let resolved: LocalSettings = {
        do {
            return try LocalSettings.resolve(binaryDirectory: URL(fileURLWithPath: LocalScripts.binDirectory))
        } catch {
            FileHandle.standardError.write(Data("talentctl: \(String(describing: error))\n".utf8))
            exit(78)
        }
    }()

    /// Sets the variables env.sh adds to this process's environment, so that option defaults, the
    /// settings readers and the scripts `talentctl` runs all see them.
    ///
    /// Called first in `main`, before any other task of this process reads or changes the environment
    /// (`setenv` is not safe against concurrent `getenv`).
    static func apply() {
        for (name, value) in resolved.variables where getenv(name) == nil { setenv(name, value, 0) }
    }

    /// Exits 78 at once, naming what to do, when there are no settings at all (a binary outside a
    /// checkout with no `TALENT_*` variables): the built-in defaults would name services that are not
    /// the operator's.
    static func requireSome() {
        do { try resolved.requireSome(binaryDirectory: URL(fileURLWithPath: LocalScripts.binDirectory)) } catch {
            FileHandle.standardError.write(Data("talentctl: \(String(describing: error))\n".utf8))
            exit(78)
        }
    }
}

/// `talentctl settings`: the settings in effect and where they come from (secrets masked).
struct Settings: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the TALENT_* settings in effect and where they come from (secrets masked).")

    func run() throws {
        let settings = LocalSystemSettings.resolved
        switch settings.origin {
        case .environment: print("# from the environment")
        case .script(let path): print("# from the environment, completed by \(path)")
        case .none: print("# no settings: built-in defaults (README, Operating it)")
        }
        for name in settings.variables.keys.sorted() {
            print("\(name)=\(Self.shown(name, settings.variables[name] ?? ""))")
        }
    }

    /// `TALENT_AMQP_PASSWORD` as `…`; in a libpq connection string, `password=…` and the password of
    /// the URI form (`postgresql://user:…@host`).
    static func shown(_ name: String, _ value: String) -> String {
        if name.hasSuffix("PASSWORD") { return "…" }
        guard name == "TALENT_POSTGRES_URL" else { return value }
        return value.split(separator: " ", omittingEmptySubsequences: false)
            .map { $0.lowercased().hasPrefix("password=") ? "password=…" : String($0) }
            .joined(separator: " ")
            .replacing(/^(postgres(?:ql)?:\/\/[^:@\/]*):[^@]*@/) { "\($0.output.1):…@" }
    }
}
