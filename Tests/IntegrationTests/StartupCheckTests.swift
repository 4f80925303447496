import AMQPClient
import Foundation
import JobQueue
import TalentCore
import TalentTestSupport
import Testing

/// The broker's topology is checked when a process starts: a queue declared with other arguments
/// stops the gateway and the worker with exit code 78 and the broker's explanation, instead of a
/// channel error later.
@Suite("Start-up topology check")
struct StartupCheckTests {
    static let rabbitmqctl = "/usr/lib/rabbitmq/bin/rabbitmqctl"

    @Test(arguments: ["talent-worker", "talent-gateway"])
    func aMismatchedQueueStopsTheProcess(executable: String) async throws {
        let system = try await SharedSystem.instance.get()
        let environment = system.environment
        let vhost = "talent_mismatch_\(UUID().uuidString.prefix(8).lowercased())"
        #expect(try await ChildProcess.run(Self.rabbitmqctl, ["-q", "add_vhost", vhost]) == 0)
        #expect(
            try await ChildProcess.run(
                Self.rabbitmqctl, ["-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"])
                == 0)
        var configuration = environment.amqpConfiguration(name: "mismatch setup")
        configuration.virtualHost = vhost
        let connection = AMQPConnection(configuration: configuration)
        // What an older version might have left: the work queue as a classic queue.
        try await connection.declare(
            AMQPTopology(
                exchanges: [],
                queues: [AMQPTopology.Queue(name: JobTopologyNames.workQueue(.attachmentValidation))],
                bindings: []))
        await connection.close()

        var processEnvironment = environment.processEnvironment()
        processEnvironment["TALENT_AMQP_VHOST"] = vhost
        processEnvironment["TALENT_HTTP_PORT"] = "58097"
        let log = environment.runDirectory.appendingPathComponent("mismatch-\(executable).log").path
        let pid = try ChildProcess.spawn(
            environment.binDirectory.appendingPathComponent(executable).path,
            executable == "talent-worker" ? [JobKind.attachmentValidation.rawValue] : [],
            environment: processEnvironment, output: log)
        let status = ChildProcess.exitCode(await ChildProcess.wait(pid))
        _ = try await ChildProcess.run(Self.rabbitmqctl, ["-q", "delete_vhost", vhost])
        #expect(status == 78)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(output.contains("topology differs"), "\(output)")
        #expect(output.contains("inequivalent arg"), "\(output)")
    }

    /// A setting that does not parse stops the process at start with exit 78 and a line naming the
    /// variable (before: `TALENT_HTTP_PORT=abc` silently listened on 8080).
    @Test(arguments: [
        ("talent-gateway", "TALENT_HTTP_PORT", "abc"), ("talent-gateway", "TALENT_JWT_ISSUER", ""),
        ("talent-worker", "TALENT_WORKER_CONCURRENCY", "many"), ("talent-worker", "TALENT_AMQP_PORT", "99999"),
    ])
    func aBadSettingStopsTheProcess(executable: String, variable: String, value: String) async throws {
        let environment = try await SharedSystem.instance.get().environment  // keys created
        var processEnvironment = environment.processEnvironment()
        processEnvironment[variable] = value
        let log = environment.runDirectory.appendingPathComponent("setting-\(executable)-\(variable).log").path
        let pid = try ChildProcess.spawn(
            environment.binDirectory.appendingPathComponent(executable).path,
            executable == "talent-worker" ? [JobKind.attachmentValidation.rawValue] : [],
            environment: processEnvironment, output: log)
        let status = ChildProcess.exitCode(await ChildProcess.wait(pid))
        #expect(status == 78)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(output.contains("refusing to start: \(variable)"), "\(output)")
    }
}
