import Foundation
import Testing

@testable import ServiceConfiguration

/// `talentctl` without `source deploy/local/env.sh`: the checkout's env.sh completes the environment.
@Suite("Local settings")
struct LocalSettingsTests {
    /// A checkout with `deploy/local/env.sh` = `script` and a binary folder two levels below it.
    static func checkout(_ script: String) throws -> (root: URL, binaries: URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("local-settings-\(UUID())")
        let binaries = root.appendingPathComponent(".build/debug")
        try FileManager.default.createDirectory(at: binaries, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("deploy/local"), withIntermediateDirectories: true)
        try script.write(to: root.appendingPathComponent("deploy/local/env.sh"), atomically: true, encoding: .utf8)
        try "// swift-tools-version: 6.0\n".write(
            to: root.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        return (root, binaries)
    }

    @Test func theScriptAboveTheBinariesCompletesTheEnvironment() throws {
        let (root, binaries) = try Self.checkout(
            """
            export TALENT_HOME="${TALENT_HOME:-/srv/talent}"
            export TALENT_PG_PORT="${TALENT_PG_PORT:-54329}"
            export TALENT_POSTGRES_URL="host=127.0.0.1 port=$TALENT_PG_PORT
            dbname=talent"
            export RABBITMQ_NODENAME=talent@localhost
            """)
        defer { try? FileManager.default.removeItem(at: root) }
        let settings = try LocalSettings.resolve(
            environment: ["PATH": "/usr/bin:/bin", "TALENT_PG_PORT": "6000"], binaryDirectory: binaries)
        #expect(settings.origin == .script(root.appendingPathComponent("deploy/local/env.sh").standardized.path))
        #expect(settings.variables["TALENT_HOME"] == "/srv/talent")
        // A value given in the environment wins (env.sh keeps it); values may hold newlines.
        #expect(settings.variables["TALENT_PG_PORT"] == "6000")
        #expect(settings.variables["TALENT_POSTGRES_URL"] == "host=127.0.0.1 port=6000\ndbname=talent")
        // Only the platform's own variables are taken.
        #expect(settings.variables["RABBITMQ_NODENAME"] == nil)
        #expect(settings.variables["PATH"] == nil)
    }

    @Test func aSourcedEnvironmentIsTakenAsItIs() throws {
        let (root, binaries) = try Self.checkout("exit 1")
        defer { try? FileManager.default.removeItem(at: root) }
        let environment = ["TALENT_HOME": "/tmp/test-home", "TALENT_HTTP_PORT": "58093", "HOME": "/root"]
        let settings = try LocalSettings.resolve(environment: environment, binaryDirectory: binaries)
        #expect(
            settings
                == LocalSettings(
                    origin: .environment, variables: ["TALENT_HOME": "/tmp/test-home", "TALENT_HTTP_PORT": "58093"]))
    }

    @Test func aScriptThatFailsIsNamed() throws {
        let (root, binaries) = try Self.checkout("exit 3")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect {
            _ = try LocalSettings.resolve(environment: [:], binaryDirectory: binaries)
        } throws: { error in
            guard let error = error as? LocalSettingsError else { return false }
            return error.code == .scriptFailed && error.description.contains("deploy/local/env.sh")
                && error.description.contains("exited with 3")
        }
    }

    @Test func withoutACheckoutOrVariablesACommandSaysWhatItNeeds() throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("no-checkout-\(UUID())")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        let none = try LocalSettings.resolve(environment: ["HOME": "/root"], binaryDirectory: outside)
        #expect(none.origin == .none)
        #expect {
            try none.requireSome(binaryDirectory: outside)
        } throws: { error in
            guard let error = error as? LocalSettingsError else { return false }
            return error.code == .missing && error.description.contains("source deploy/local/env.sh")
        }
        // Production: variables without a checkout are enough.
        let given = try LocalSettings.resolve(
            environment: ["TALENT_POSTGRES_URL": "host=db"], binaryDirectory: outside)
        #expect(given.origin == .environment)
        try given.requireSome(binaryDirectory: outside)
    }

    /// A script that is not a checkout's, or that others may write, is never run.
    @Test func aPlantedScriptIsNotRun() throws {
        let (root, binaries) = try Self.checkout("export TALENT_HOME=/planted")
        defer { try? FileManager.default.removeItem(at: root) }
        let script = root.appendingPathComponent("deploy/local/env.sh")
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: script.path)
        #expect(try LocalSettings.resolve(environment: [:], binaryDirectory: binaries).origin == .none)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: script.path)
        try FileManager.default.removeItem(at: root.appendingPathComponent("Package.swift"))
        #expect(try LocalSettings.resolve(environment: [:], binaryDirectory: binaries).origin == .none)
    }

    /// The project's own env.sh, as `talentctl` built in this checkout reads it.
    @Test func thisCheckoutsScriptGivesTheLocalSystem() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let settings = try LocalSettings.resolve(
            environment: ["PATH": "/usr/bin:/bin", "HOME": "/root"],
            binaryDirectory: root.appendingPathComponent(".build/debug"))
        #expect(settings.variables["TALENT_PG_PORT"] == "54329")
        #expect(settings.variables["TALENT_POSTGRES_URL"]?.contains("port=54329") == true)
        #expect(settings.variables["TALENT_HOME"] == root.standardized.path + "/.local")
    }
}
