import ArgumentParser

/// `talentctl`: the operator's command line.
@main
struct TalentCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "talentctl",
        abstract:
            "Operate the talent platform: the local system and its workers, migrations, broker topology, tokens, uploads, status, jobs, dead letters, identifier checks, eligibility rules and sweeps, demo, benchmark.",
        subcommands: [
            System.self, Workers.self, Migrate.self, Topology.self, DevKeys.self, Token.self, Upload.self,
            Status.self, Jobs.self, DeadLetters.self, Validate.self, Rules.self, Eligibility.self, Demo.self,
            Bench.self,
            Settings.self,
        ])

    /// Completes the environment from the checkout's `deploy/local/env.sh` (``LocalSystemSettings``)
    /// before the arguments and their defaults are read.
    static func main() async {
        LocalSystemSettings.apply()
        await main(nil)
    }
}
