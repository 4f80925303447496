import ArgumentParser
import Foundation
import PostgresClient
import TalentClient
import TalentCore
import TalentStore

extension Bench {
    /// `talentctl bench sweep --units N`: today's eligibility sweep run again from the first unit, in
    /// this process with the worker's code and chunk size, over every unit there is, with at least `N`
    /// bulk units (salt `B`, a complete profile each) registered first. Prints one JSON line: units
    /// swept, seconds, units per second, decisions changed.
    struct Sweep: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the daily eligibility sweep over every unit (JSON line).")

        @Option(help: "Units there must be at least (bulk units with a complete profile are added).")
        var units: Int = 100_000

        @Option(help: "Units per sweep transaction.")
        var chunkSize: Int = EligibilityStore.defaultSweepChunkSize

        func run() async throws {
            guard units >= 1, units <= 5_000_000 else { throw ValidationError("--units: 1…5,000,000") }
            let environment = Bench.environment()
            let pool = PostgresPool(configuration: environment.postgres(poolSize: 1))
            defer { pool.shutdown() }
            let codes = BenchmarkFixtures.unitCodes(count: units, salt: "B")
            var population = DemoPopulation(seed: 7)
            let (general, qualifications, handler) = ProfileCompletion.forms(
                name: "基准测试单位", population: &population)
            let profile = UnitProfile(
                generalInformation: general, qualifications: qualifications, businessHandler: handler)
            _ = try await pool.transaction { connection in
                _ = try BenchmarkFixtures.insertUnits(codes, on: connection)
                return try BenchmarkFixtures.completeProfiles(codes, profile: profile, on: connection)
            }
            let store = EligibilityStore(pool: pool)
            let day = CalendarDate.today()
            try await store.restartSweep(day: day)
            let started = ContinuousClock.now
            let share = try await store.sweep(day: day, chunkSize: chunkSize)
            let elapsed = started.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let line: [String: Any] = [
                "measure": "eligibility_sweep", "units": share.units, "seconds": seconds,
                "units_per_second": Double(share.units) / max(seconds, 0.001), "changed": share.changed,
                "completed": share.completed, "chunk_size": chunkSize,
            ]
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
        }
    }
}
