import AMQPClient
import Foundation
import JobQueue
import PostgresClient
import TalentClient
import TalentCore
import TalentStore

/// Association-decision work for the benchmark: a new unit with many pending requests, and approval
/// jobs for them stored in the outbox exactly as the gateway stores them, then published with
/// confirms. The jobs file (`job id`, `association id`, `unit id`, message JSON; tab-separated) lets
/// the Celery peer run the very same jobs.
public struct DecisionBacklog: Sendable {
    public struct Entry: Sendable {
        public var associationId: UUID
        public var envelope: JobEnvelope?
    }

    public var unit: UnifiedSocialCreditCode
    public var unitName: String
    public var entries: [Entry]

    /// Creates the unit and `count` pending requests (set-based, 5,000 per transaction) and, with
    /// `jobs`, one approval job per request in the outbox (not yet published).
    public static func prepare(pool: PostgresPool, seed: UInt64, count: Int, jobs: Bool) async throws -> DecisionBacklog
    {
        var population = DemoPopulation(seed: seed)
        let unit = population.unit(Int(seed % 900_000) + 100)
        let approval = population.approval()
        let today = CalendarDate.today()
        var entries: [Entry] = []
        // One open request per person and unit: a number drawn twice is skipped.
        var seen = Set<String>()
        while entries.count < count {
            let chunk = min(5_000, count - entries.count)
            let applicants = (0..<chunk).compactMap { _ -> BenchmarkFixtures.Applicant? in
                let person = population.person()
                guard let number = try? person.validate(today: today), seen.insert(number.rawValue).inserted else {
                    return nil
                }
                return BenchmarkFixtures.Applicant(number: number, name: person.name)
            }
            let made = try await pool.transaction { connection in
                let ids = try BenchmarkFixtures.insertPendingRequests(
                    unitId: unit.code, unitName: unit.name, applicants: applicants, on: connection)
                guard jobs else { return ids.map { Entry(associationId: $0, envelope: nil) } }
                let stored = try ids.map { id in
                    (
                        message: try JobEnvelope(
                            AssociationDecisionJob(
                                jobId: UUID(), unitId: unit.code, associationId: id, actor: "bench",
                                requestedAt: Date(), decision: .approve(approval))),
                        subjectId: Optional(id)
                    )
                }
                try JobStore.insert(stored, on: connection)
                return zip(ids, stored).map { Entry(associationId: $0, envelope: $1.message) }
            }
            entries += made.prefix(count - entries.count)
        }
        return DecisionBacklog(unit: unit.code, unitName: unit.name, entries: entries)
    }

    /// Publishes every stored job with confirms, `window` unconfirmed at most, and records the
    /// confirms on the job rows (as the gateway does).
    public func publish(connection: AMQPConnection, pool: PostgresPool, window: Int) async throws -> BenchMeasurement {
        let publisher = JobPublisher(connection: connection, jobs: JobStore(pool: pool), confirmTimeout: .seconds(60))
        let envelopes = entries.compactMap(\.envelope)
        let elapsed = try await ContinuousClock().measure {
            try await inWindow(envelopes.count, window: window) { index in
                try await publisher.publish(envelopes[index])
            }
        }
        await publisher.flushMarks()
        return BenchMeasurement(
            measure: "publish.decisions", count: envelopes.count, elapsed: elapsed, parameters: ["window": window])
    }

    /// The jobs file: one line per job, `job id\tassociation id\tunit id\tmessage JSON`; without jobs,
    /// `\tassociation id\tunit id\t`.
    public var jobsFile: String {
        entries.map { entry in
            [
                entry.envelope.map { $0.jobId.uuidString.lowercased() } ?? "",
                entry.associationId.uuidString.lowercased(), unit.rawValue,
                entry.envelope.map { String(decoding: $0.body, as: UTF8.self) } ?? "",
            ].joined(separator: "\t")
        }.joined(separator: "\n") + "\n"
    }

    /// Reads a jobs file written by ``jobsFile`` (its jobs must be stored already).
    public init(jobsFile text: String) throws {
        var unit: UnifiedSocialCreditCode?
        var entries: [Entry] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4, let association = UUID(uuidString: fields[1]) else {
                throw BenchError(description: "not a jobs file line: \(line.prefix(80))")
            }
            let code = try UnifiedSocialCreditCode(validating: fields[2])
            unit = code
            var envelope: JobEnvelope?
            if let jobId = UUID(uuidString: fields[0]) {
                let message = try JobMessageCodec.decode(AssociationDecisionJob.self, from: Array(fields[3].utf8))
                guard message.jobId == jobId else { throw BenchError(description: "job id mismatch in \(jobId)") }
                envelope = try JobEnvelope(message)
            }
            entries.append(Entry(associationId: association, envelope: envelope))
        }
        guard let unit else { throw BenchError(description: "empty jobs file") }
        self.unit = unit
        self.unitName = ""
        self.entries = entries
    }

    init(unit: UnifiedSocialCreditCode, unitName: String, entries: [Entry]) {
        self.unit = unit
        self.unitName = unitName
        self.entries = entries
    }
}

/// A benchmark input that cannot be used.
public struct BenchError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
