import AMQPClient
import ArgumentParser
import JobQueue
import ServiceConfiguration

/// `talentctl topology`: declares exchanges, queues and bindings from the one definition.
struct Topology: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Declare the broker topology (idempotent).")

    func run() async throws {
        let environment = SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
        let connection = AMQPConnection(configuration: environment.amqp(connectionName: "talentctl topology"))
        do {
            try await connection.declare(TalentTopology.definition, timeout: .seconds(30))
        } catch {
            await connection.close()
            print("topology: \(String(reflecting: error))")
            throw ExitCode(1)
        }
        await connection.close()
        let definition = TalentTopology.definition
        for queue in definition.queues { print("queue\t\(queue.name)") }
    }
}
