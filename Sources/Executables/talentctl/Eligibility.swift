import ArgumentParser
import Foundation
import TalentCore
import TalentStore

/// `talentctl eligibility sweep [--again] [--chunk-size N]`: runs (or joins) today's eligibility
/// sweep now, as the eligibility workers do on their own, and prints what it did (another day's would
/// evaluate the rules for a day that is not today);
/// `--again` first forgets the day's sweep (after publishing a rule set). `talentctl eligibility
/// status [--day]`: the day's sweep as recorded.
struct Eligibility: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run or show the daily eligibility sweep.", subcommands: [Sweep.self, SweepStatus.self])

    struct Sweep: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sweep", abstract: "Run today's sweep now.")

        @Flag(help: "Forget the day's sweep first, so that every unit is recomputed again.")
        var again = false

        @Option(help: "Units per transaction.")
        var chunkSize: Int = EligibilityStore.defaultSweepChunkSize

        func run() async throws {
            let day = CalendarDate.today()
            let (pool, _) = try await Rules.pool()
            defer { pool.shutdown() }
            let store = EligibilityStore(pool: pool)
            if again { try await store.restartSweep(day: day) }
            let started = ContinuousClock.now
            let share = try await store.sweep(day: day, chunkSize: chunkSize)
            let elapsed = started.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                "swept \(share.units) units for \(day) in \(String(format: "%.2f", seconds)) s; \(share.changed) decisions changed\(share.completed ? "; the day's sweep is complete" : "")"
            )
            if let status = try await store.sweepStatus(day: day) { Eligibility.show(status) }
        }
    }

    struct SweepStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a day's sweep.")

        @Option(help: "The Beijing day (YYYY-MM-DD; default today).")
        var day: String?

        func run() async throws {
            let day = try Eligibility.day(day)
            let (pool, _) = try await Rules.pool()
            defer { pool.shutdown() }
            guard let status = try await EligibilityStore(pool: pool).sweepStatus(day: day) else {
                print("no sweep for \(day) yet")
                return
            }
            Eligibility.show(status)
        }
    }

    static func day(_ text: String?) throws -> CalendarDate {
        guard let text else { return CalendarDate.today() }
        guard let day = CalendarDate(iso8601: text) else { throw ValidationError("--day: YYYY-MM-DD") }
        return day
    }

    static func show(_ status: EligibilityStore.SweepStatus) {
        print("day\tunits\tdecisions changed\tchunks\tstarted\tcompleted")
        print(
            "\(status.day)\t\(status.units)\t\(status.changed)\t\(status.chunks)\t\(status.startedAt)\t\(status.completedAt ?? "-")"
        )
    }
}
