import ArgumentParser

/// `talentctl`: the operator's command line.
@main
struct TalentCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "talentctl",
        abstract:
            "Operate the talent platform: migrations, broker topology, tokens, uploads, status, dead letters, identifier checks, demo, benchmark.",
        subcommands: [
            Migrate.self, Topology.self, DevKeys.self, Token.self, Upload.self, Status.self, DeadLetters.self,
            Validate.self, Demo.self, Bench.self,
        ])
}
