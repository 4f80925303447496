import Foundation
import TalentAPI
import TalentCore

/// Uploads every file of a directory through the gateway and waits for each verdict: the demo, the
/// `talentctl upload` command and the corpus integration test all use it.
public struct CorpusUpload: Sendable {
    /// The final state of one file.
    public struct Outcome: Sendable, Hashable {
        public var fileName: String
        /// `accepted`, `rejected`, or `error` when the gateway refused the upload.
        public var verdict: String
        /// Reason code (rejections) or gateway error code.
        public var reason: String
        public var attachmentId: UUID?
        public var jobId: UUID?

        /// `name<TAB>verdict<TAB>reason`.
        public var line: String { "\(fileName)\t\(verdict)\t\(reason)" }
    }

    /// How far a run is: reported after each upload and each round of verdict polling.
    public struct Progress: Sendable, Hashable {
        /// Files of the run.
        public var total: Int
        /// Uploads answered (accepted or refused).
        public var uploaded: Int
        /// Files with a final state (a verdict, or refused at upload).
        public var finished: Int
    }

    public let client: GatewayClient
    public let kind: AttachmentKind
    /// Uploads in flight at once.
    public let concurrency: Int
    /// How long to wait for all verdicts, in seconds.
    public let verdictTimeoutSeconds: Int

    public init(
        client: GatewayClient, kind: AttachmentKind = .other, concurrency: Int = 8, verdictTimeoutSeconds: Int = 600
    ) {
        self.client = client
        self.kind = kind
        self.concurrency = concurrency
        self.verdictTimeoutSeconds = verdictTimeoutSeconds
    }

    /// Regular files of `directory`, sorted by name.
    public static func files(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Uploads `files`, then polls until every accepted upload has a verdict or the timeout passes
    /// (those left are reported as `pending`).
    /// - Parameter progress: called with the counts so far (from this task, never concurrently).
    public func run(_ files: [URL], progress: (Progress) -> Void = { _ in }) async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        func report() {
            progress(
                Progress(
                    total: files.count, uploaded: outcomes.count,
                    finished: outcomes.count { $0.verdict != "pending" }))
        }
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            var next = 0
            func addNext() {
                let file = files[next]
                next += 1
                group.addTask { try await upload(file) }
            }
            while next < min(concurrency, files.count) { addNext() }
            while let outcome = try await group.next() {
                outcomes.append(outcome)
                report()
                if next < files.count { addNext() }
            }
        }
        let deadline = ContinuousClock.now.advanced(by: .seconds(verdictTimeoutSeconds))
        while outcomes.contains(where: { $0.verdict == "pending" }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            for index in outcomes.indices where outcomes[index].verdict == "pending" {
                guard let id = outcomes[index].attachmentId, let record = try await client.attachment(id) else {
                    continue
                }
                if record.status != .pending {
                    outcomes[index].verdict = record.status.rawValue
                    outcomes[index].reason = record.reason?.rawValue ?? ""
                }
            }
            report()
        }
        return outcomes.sorted { $0.fileName < $1.fileName }
    }

    /// Uploads one file: `pending` with its attachment and job when the gateway answered 202,
    /// otherwise `rejected` (too large) or `error` with the error code as reason.
    /// - Throws: transport errors from the client, and a 202 body that does not decode.
    public func upload(_ file: URL) async throws -> Outcome {
        let name = file.lastPathComponent
        let bytes = try Data(contentsOf: file)
        let reply = try await client.upload(bytes, fileName: name, kind: kind)
        guard reply.status == 202 else {
            // Refused before storing: a too-large body is a verdict of its own.
            let code = reply.errorCode ?? "http_\(reply.status)"
            return Outcome(fileName: name, verdict: code == "too_large" ? "rejected" : "error", reason: code)
        }
        let accepted = try reply.decode(UploadAccepted.self)
        return Outcome(
            fileName: name, verdict: "pending", reason: "", attachmentId: accepted.attachment.id, jobId: accepted.job.id
        )
    }
}
