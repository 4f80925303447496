import AMQPClient
import ArgumentParser
import Foundation
import JobQueue
import PostgresClient
import ServiceConfiguration
import TalentCore
import TalentStore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `talentctl status`: per queue its depth and consumers; per job kind the age of the oldest queued
/// job and, from the local Prometheus when it answers, the publish and deliver rates of the last
/// minute; jobs by status. Tab-separated, each table with a header line.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show queue and job state.")

    @Option(help: "Prometheus base URL for rates (env TALENT_PROMETHEUS_PORT on 127.0.0.1).")
    var prometheus: String =
        "http://127.0.0.1:\(ProcessInfo.processInfo.environment["TALENT_PROMETHEUS_PORT"] ?? "59090")"

    func run() async throws {
        let environment = SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
        try await Reachability.require(.broker, environment: environment)
        try await Reachability.require(.postgres, environment: environment)
        let connection = AMQPConnection(configuration: environment.amqp(connectionName: "talentctl status"))
        print("queue\tmessages\tconsumers")
        for kind in JobKind.allCases {
            let queues = TalentTopology.queues(for: kind)
            for queue in queues.pendingQueues + [queues.parkingQueue] {
                do {
                    let state = try await connection.queueState(queue, timeout: .seconds(5))
                    print("\(queue)\t\(state.messages)\t\(state.consumers)")
                } catch {
                    print("\(queue)\t\(String(describing: error))\t-")
                }
            }
        }
        await connection.close()
        let pool = PostgresPool(configuration: environment.postgres(poolSize: 1))
        defer { pool.shutdown() }
        let ages = try await JobStore(pool: pool).oldestQueuedAges()
        let published = await rates("sum by (kind) (rate(talent_jobs_published_total[1m]))")
        let delivered = await rates("sum by (kind) (rate(talent_jobs_started_total[1m]))")
        print()
        print("kind\toldest queued job\tpublished/s\tdelivered/s")
        for kind in JobKind.allCases {
            let rate = { (rates: [String: Double]?) in
                rates.map { String(format: "%.1f", $0[kind.rawValue] ?? 0) } ?? "-"
            }
            print("\(kind.rawValue)\t\(ages[kind] ?? 0) s\t\(rate(published))\t\(rate(delivered))")
        }
        if published == nil {
            print("(rates: no Prometheus at \(prometheus); deploy/local/monitoring.sh start)")
        }
        print()
        print("job status\tcount")
        for (status, count) in try await JobStore(pool: pool).countsByStatus().sorted(by: { $0.key < $1.key }) {
            print("\(status)\t\(count)")
        }
    }

    /// The value per `kind` of an instant PromQL query, `nil` when Prometheus does not answer in 3 s.
    func rates(_ query: String) async -> [String: Double]? {
        struct Answer: Decodable {
            struct Data: Decodable {
                struct Sample: Decodable {
                    var metric: [String: String]
                    var value: [Value]
                }
                var result: [Sample]
            }
            var data: Data
        }
        enum Value: Decodable {
            case number(Double), text(String)
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Double.self) {
                    self = .number(number)
                } else {
                    self = .text(try container.decode(String.self))
                }
            }
        }
        var components = URLComponents(string: prometheus + "/api/v1/query")
        components?.queryItems = [URLQueryItem(name: "query", value: query)]
        guard let url = components?.url else { return nil }
        var request = URLRequest(url: url)
        request.timeoutInterval = 3
        guard let (body, _) = try? await URLSession.shared.data(for: request),
            let answer = try? JSONDecoder().decode(Answer.self, from: body)
        else { return nil }
        var rates: [String: Double] = [:]
        for sample in answer.data.result {
            if let kind = sample.metric["kind"], case .text(let text)? = sample.value.last, let value = Double(text) {
                rates[kind] = value
            }
        }
        return rates
    }
}
