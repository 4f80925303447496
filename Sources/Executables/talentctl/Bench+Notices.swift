import ArgumentParser
import Foundation
import PostgresClient
import TalentAPI
import TalentClient
import TalentCore
import TalentGateway
import TalentStore

extension Bench {
    /// `talentctl bench notices --units N`: one notice to every unit fanned out through the running
    /// system (gateway → `notice.fanout` worker), with at least `N` units registered first (bulk
    /// units, salt `B`), while a reader asks the gateway for a unit's inbox in a loop. Prints one JSON
    /// line: units reached, seconds from the `202` to the finished job, rows per second, chunks, and the
    /// reader's latencies (ms).
    struct Notices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fan one notice out to every unit through the running system (JSON line).")

        @Option(help: "Units there must be at least (bulk units are added).") var units: Int = 100_000

        @Option(help: "Gateway base URL.")
        var gateway: String = "http://127.0.0.1:\(ProcessInfo.processInfo.environment["TALENT_HTTP_PORT"] ?? "8080")"

        func run() async throws {
            guard units >= 1, units <= 5_000_000 else { throw ValidationError("--units: 1…5,000,000") }
            let base = try URL(string: gateway).orThrow("bad --gateway")
            let environment = Bench.environment()
            let pool = PostgresPool(configuration: environment.postgres(poolSize: 1))
            defer { pool.shutdown() }
            let codes = BenchmarkFixtures.unitCodes(count: units, salt: "B")
            _ = try await pool.transaction { connection in try BenchmarkFixtures.insertUnits(codes, on: connection) }
            let service = GatewayClient(
                baseURL: base,
                token: try await DevelopmentIssuer.localServices().mintService(
                    service: "bench", scope: ServiceTokenVerifier.noticesScope))
            let reader = GatewayClient(
                baseURL: base, token: try await DevelopmentIssuer.local().mint(unit: codes[0].rawValue, unitName: nil))
            _ = try await reader.send("GET", "/v1/notices")
            // Reads until cancelled (after the fan-out); a read cut short by the cancellation is not counted.
            let reads = Task {
                var latencies: [Double] = []
                while !Task.isCancelled {
                    let started = ContinuousClock.now
                    guard let reply = try? await reader.send("GET", "/v1/notices?limit=20"), !Task.isCancelled
                    else { break }
                    if reply.status == 200 { latencies.append(Self.milliseconds(started.duration(to: .now))) }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return latencies
            }
            let started = ContinuousClock.now
            let reply = try await service.send(
                "POST", "/v1/service/notices",
                json: NoticePublicationRequest(title: "基准测试通知", documentUrl: "https://example.cn/bench.pdf"))
            let accepted = try reply.decode(NoticeJobAccepted.self)
            let job = try await service.finishedJob(
                accepted.job.id, timeout: .seconds(600), jobsPath: "/v1/service/jobs/")
            let seconds = Self.milliseconds(started.duration(to: .now)) / 1000
            reads.cancel()
            let latencies = await reads.value.sorted()
            let notice = try await service.send(
                "GET", "/v1/service/notices/\(accepted.noticeId.uuidString.lowercased())"
            ).decode(NoticeRecord.self)
            func quantile(_ q: Double) -> Double {
                latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))]
            }
            let line: [String: Any] = [
                "measure": "notice_fan_out", "units": notice.fanOut.recipients, "seconds": seconds,
                "rows_per_second": Double(notice.fanOut.recipients) / max(seconds, 0.001),
                "chunks": notice.fanOut.chunks, "status": job?.status.rawValue ?? "unknown",
                "reads": latencies.count, "read_p50_ms": quantile(0.5), "read_p99_ms": quantile(0.99),
            ]
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
        }

        static func milliseconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        }
    }
}
