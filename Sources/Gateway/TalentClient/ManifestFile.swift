import Foundation

/// Expected verdicts of a corpus: a TSV with a header naming at least `file`, `verdict`, `reason`.
public struct ManifestFile: Sendable {
    public struct Expectation: Sendable, Hashable {
        public var verdict: String
        public var reason: String
    }

    public var expectations: [String: Expectation]

    public static func load(_ path: String) throws -> ManifestFile {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        guard !lines.isEmpty else { return ManifestFile(expectations: [:]) }
        let header = lines.removeFirst()
        guard let file = header.firstIndex(of: "file"), let verdict = header.firstIndex(of: "verdict"),
            let reason = header.firstIndex(of: "reason")
        else { throw CocoaError(.fileReadCorruptFile) }
        var expectations: [String: Expectation] = [:]
        for columns in lines where columns.count > max(file, verdict, reason) {
            expectations[columns[file]] = Expectation(verdict: columns[verdict], reason: columns[reason])
        }
        return ManifestFile(expectations: expectations)
    }
}

/// The demo's summary: files, verdicts by reason, agreement with a manifest, time, files per second.
public struct UploadSummary: Sendable {
    public let outcomes: [CorpusUpload.Outcome]
    public let elapsed: Duration
    public let manifest: ManifestFile?

    public init(outcomes: [CorpusUpload.Outcome], elapsed: Duration, manifest: ManifestFile?) {
        self.outcomes = outcomes
        self.elapsed = elapsed
        self.manifest = manifest
    }

    /// Files whose verdict and reason differ from the manifest (or that the manifest lacks).
    public var disagreements: [CorpusUpload.Outcome] {
        guard let manifest else { return [] }
        return outcomes.filter { outcome in
            guard let expected = manifest.expectations[outcome.fileName] else { return true }
            return expected.verdict != outcome.verdict || expected.reason != outcome.reason
        }
    }

    public var allAgree: Bool {
        disagreements.isEmpty && !outcomes.contains { $0.verdict == "pending" || $0.verdict == "error" }
    }

    public var text: String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var counts: [String: Int] = [:]
        for outcome in outcomes {
            counts[outcome.reason.isEmpty ? outcome.verdict : "\(outcome.verdict)/\(outcome.reason)", default: 0] += 1
        }
        var lines = ["", "== upload summary =="]
        lines.append("files\t\(outcomes.count)")
        for (key, count) in counts.sorted(by: { $0.key < $1.key }) { lines.append("  \(key)\t\(count)") }
        if manifest != nil {
            let disagreeing = disagreements
            lines.append("agree with manifest\t\(outcomes.count - disagreeing.count) of \(outcomes.count)")
            for outcome in disagreeing.prefix(20) {
                let expected = manifest?.expectations[outcome.fileName]
                lines.append(
                    "  differs: \(outcome.line)\texpected \(expected.map { "\($0.verdict)\t\($0.reason)" } ?? "nothing")"
                )
            }
        }
        lines.append(String(format: "elapsed\t%.1f s", seconds))
        lines.append(String(format: "files per second\t%.1f", seconds > 0 ? Double(outcomes.count) / seconds : 0))
        return lines.joined(separator: "\n") + "\n"
    }
}
