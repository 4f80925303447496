import ArgumentParser
import Foundation
import TalentClient
import TalentCore
import TalentGateway

/// `talentctl upload DIR`: uploads every file of DIR through the gateway, prints
/// `name<TAB>verdict<TAB>reason` per file, and (with `--manifest`) a summary against expected verdicts.
struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload a directory's files as attachments and print each verdict.")

    @Argument(help: "Directory whose regular files are uploaded.")
    var directory: String

    @Option(help: "Gateway base URL.")
    var gateway: String = "http://127.0.0.1:\(ProcessInfo.processInfo.environment["TALENT_HTTP_PORT"] ?? "8080")"

    @Option(help: "Unified social credit code of the acting unit (a development token is minted for it).")
    var unit: String = UnifiedSocialCreditCode.make(organisationBody: "MA01DEMQ")!.rawValue

    @Option(help: "Attachment kind.")
    var kind: String = AttachmentKind.other.rawValue

    @Option(help: "Uploads in flight at once.")
    var concurrency: Int = 8

    @Option(help: "Seconds to wait for all verdicts.")
    var timeout: Int = 600

    @Option(
        help: "manifest.tsv with columns file, verdict, reason: prints agreement on stderr; exit 1 on disagreement.")
    var manifest: String?

    func validate() throws { try UnitCodeOption.validate(unit) }

    func run() async throws {
        guard let attachmentKind = AttachmentKind(rawValue: kind) else { throw ValidationError("unknown kind") }
        guard let baseURL = URL(string: gateway) else { throw ValidationError("bad gateway URL") }
        try await Reachability.require(.gateway(baseURL), environment: nil)
        let token = try await DevelopmentIssuer.local().mint(unit: unit, unitName: "演示单位", lifetime: 86_400)
        let files = try CorpusUpload.files(in: URL(fileURLWithPath: directory))
        let started = ContinuousClock.now
        var line = ProgressLine()
        let outcomes = try await CorpusUpload(
            client: GatewayClient(baseURL: baseURL, token: token), kind: attachmentKind, concurrency: concurrency,
            verdictTimeoutSeconds: timeout
        ).run(files) { progress in
            let seconds = max(1, started.duration(to: .now).components.seconds)
            line.update(
                "upload: \(progress.uploaded)/\(progress.total) sent, \(progress.finished) with a verdict"
                    + " (\(Int64(progress.finished) / seconds) files/s)")
        }
        line.finish()
        let elapsed = started.duration(to: .now)
        for outcome in outcomes { print(outcome.line) }
        let summary = UploadSummary(outcomes: outcomes, elapsed: elapsed, manifest: try manifest.map(ManifestFile.load))
        FileHandle.standardError.write(Data(summary.text.utf8))
        if !summary.allAgree { throw ExitCode(1) }
    }
}
