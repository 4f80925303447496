import AMQPClient
import ArgumentParser
import Foundation
import JobQueue
import PostgresClient
import ServiceConfiguration
import TalentCore
import TalentStore

/// `talentctl status`: queue depths and consumers, jobs by status.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show queue and job state.")

    func run() async throws {
        let environment = SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
        let connection = AMQPConnection(configuration: environment.amqp(connectionName: "talentctl status"))
        for kind in JobKind.allCases {
            let queues = TalentTopology.queues(for: kind)
            for queue in queues.pendingQueues + [queues.parkingQueue] {
                do {
                    let state = try await connection.queueState(queue)
                    print("queue\t\(queue)\tmessages=\(state.messages)\tconsumers=\(state.consumers)")
                } catch {
                    print("queue\t\(queue)\t\(String(reflecting: error))")
                }
            }
        }
        await connection.close()
        let pool = PostgresPool(configuration: environment.postgres(poolSize: 1))
        defer { pool.shutdown() }
        for (status, count) in try await JobStore(pool: pool).countsByStatus().sorted(by: { $0.key < $1.key }) {
            print("jobs\t\(status)\t\(count)")
        }
    }
}
