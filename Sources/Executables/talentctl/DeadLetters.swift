import AMQPClient
import ArgumentParser
import Foundation
import JobQueue
import PostgresClient
import ServiceConfiguration
import TalentCore
import TalentStore

/// `talentctl dead-letters list|replay|discard <kind>`: the parking queue of a job kind.
struct DeadLetters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List, replay or discard parked (dead-lettered) jobs of a kind.",
        discussion: """
            list prints a header line, then one line per message: message id, reason, attempts, parked \
            at, last error (or "no parked messages"). replay publishes the messages to the work queue \
            again (all, or those named with --id) and reopens their job rows; discard removes the named \
            messages for good. Each change is recorded first in operator_actions (who, when, what); \
            --dry-run shows what would change and changes nothing.
            """)

    @Argument(help: "list, replay or discard.")
    var action: String

    @Argument(help: "Job kind: \(JobKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: String

    @Option(name: .customLong("id"), help: "A message id (repeatable). replay without --id replays all.")
    var ids: [String] = []

    @Option(help: "Most messages read.")
    var limit: Int = 1_000

    @Flag(help: "Show which messages replay or discard would act on; change nothing.")
    var dryRun = false

    @Option(help: "Who acts, for the audit rows. Default: the login name (SUDO_USER, USER).")
    var actor: String =
        ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "operator"

    func run() async throws {
        guard let jobKind = JobKind(rawValue: kind) else { throw ValidationError("unknown job kind \(kind)") }
        let parkedAction: ParkedMessages.Action
        switch action {
        case "list": parkedAction = .list
        case "replay": parkedAction = .replay(ids.isEmpty ? nil : Set(ids))
        case "discard":
            guard !ids.isEmpty else { throw ValidationError("discard needs at least one --id") }
            parkedAction = .discard(Set(ids))
        default: throw ValidationError("action must be list, replay or discard")
        }
        let environment = SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
        try await Reachability.require(.broker, environment: environment)
        try await Reachability.require(.postgres, environment: environment)
        let consumer = AMQPConnection(configuration: environment.amqp(connectionName: "talentctl dead-letters"))
        let publisher = AMQPConnection(
            configuration: environment.amqp(connectionName: "talentctl dead-letters publisher"))
        let pool = PostgresPool(configuration: environment.postgres(poolSize: 1))
        defer { pool.shutdown() }
        let parked = ParkedMessages(
            consumer: consumer, publisher: publisher, jobs: JobStore(pool: pool),
            queues: TalentTopology.queues(for: jobKind), actor: actor)
        let result = try await parked.run(parkedAction, dryRun: dryRun, limit: limit)
        await consumer.close()
        await publisher.close()
        guard !result.entries.isEmpty else {
            print("no parked messages in \(TalentTopology.queues(for: jobKind).parkingQueue)")
            return
        }
        print("message id\treason\tattempts\tparked at\tlast error")
        for entry in result.entries {
            print(
                [entry.messageId, entry.reason, String(entry.attempts), entry.parkedAt, entry.lastError]
                    .joined(separator: "\t"))
        }
        if action != "list" {
            print(
                dryRun
                    ? "\(action) (dry run, nothing changed): would act on \(result.actedOn.count) of \(result.entries.count) messages"
                    : "\(action): \(result.actedOn.count) of \(result.entries.count) messages (recorded in operator_actions as \(actor))"
            )
        }
    }
}
