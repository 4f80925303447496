import AMQPClient
import Foundation
import TalentClient
import TalentCore
import TalentTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The corpus through gateway → broker → worker → database, as portals use it.
@Suite("Corpus end to end", .serialized)
struct CorpusEndToEndTests {
    /// Every file: uploaded, validated by the worker, verdict equal to the manifest's; every job
    /// answered 202 has exactly one effect; nothing stays in the queue.
    @Test func everyFileGetsTheManifestVerdictExactlyOnce() async throws {
        let system = try await SharedSystem.instance.get()
        let unit = Fixtures.unit(1, salt: "C")
        let (outcomes, manifest) = try await Self.uploadCorpus(system: system, unit: unit)
        let summary = UploadSummary(outcomes: outcomes, elapsed: .zero, manifest: manifest)
        #expect(outcomes.count == 388)
        #expect(summary.disagreements.map(\.line) == [])
        try await Self.expectExactlyOnce(system: system, unit: unit, files: outcomes.count)
    }

    /// A worker killed with SIGKILL mid-run and started again: every file is still judged exactly once.
    @Test func workerKilledMidRunLosesAndDuplicatesNothing() async throws {
        let system = try await SharedSystem.instance.get()
        let unit = Fixtures.unit(2, salt: "C")
        let upload = Task { try await Self.uploadCorpus(system: system, unit: unit) }
        let reachedMidRun = try await system.wait {
            let done = try await Self.verdictCount(system: system, unit: unit)
            return done >= 40
        }
        #expect(reachedMidRun)
        let statuses = await system.stopWorkers(signal: SIGKILL)
        let doneAtKill = try await Self.verdictCount(system: system, unit: unit)
        #expect(statuses.allSatisfy { $0 == 128 + SIGKILL })
        #expect(doneAtKill < 388, "the kill should land mid-run")
        try await system.startWorker()
        let (outcomes, manifest) = try await upload.value
        let summary = UploadSummary(outcomes: outcomes, elapsed: .zero, manifest: manifest)
        #expect(summary.disagreements.map(\.line) == [])
        try await Self.expectExactlyOnce(system: system, unit: unit, files: outcomes.count)
    }

    /// SIGTERM drains: the worker finishes what it holds and exits 0.
    @Test func workerDrainsOnSIGTERM() async throws {
        let system = try await SharedSystem.instance.get()
        let statuses = await system.stopWorkers(signal: SIGTERM)
        #expect(statuses.allSatisfy { $0 == 0 })
        try await system.startWorker()
    }

    static func uploadCorpus(system: TestSystem, unit: UnifiedSocialCreditCode) async throws -> (
        [CorpusUpload.Outcome], ManifestFile
    ) {
        let corpus = system.environment.corpusDirectory
        let manifest = try ManifestFile.load(corpus.appendingPathComponent("manifest.tsv").path)
        let files = try CorpusUpload.files(in: corpus.appendingPathComponent("files"))
        let outcomes = try await CorpusUpload(client: try await system.client(unit: unit), verdictTimeoutSeconds: 600)
            .run(files)
        return (outcomes, manifest)
    }

    static func verdictCount(system: TestSystem, unit: UnifiedSocialCreditCode) async throws -> Int {
        let rows = try await system.rows(
            """
            SELECT count(*) AS n FROM attachment_verdicts v JOIN attachments a ON a.id = v.attachment_id
            WHERE a.unit_id = $1
            """, [unit.rawValue])
        return try rows.first?.int("n") ?? 0
    }

    /// Accepted jobs = effects: one verdict row per attachment, every job succeeded, none left queued,
    /// and the work queue is empty with nothing unacknowledged.
    static func expectExactlyOnce(system: TestSystem, unit: UnifiedSocialCreditCode, files: Int) async throws {
        let perAttachment = try await system.rows(
            """
            SELECT a.id, count(v.job_id) AS n FROM attachments a LEFT JOIN attachment_verdicts v ON v.attachment_id = a.id
            WHERE a.unit_id = $1 GROUP BY a.id
            """, [unit.rawValue])
        #expect(perAttachment.rows.count == files)
        let counts = try perAttachment.rows.map { try $0.int("n") ?? -1 }
        #expect(counts.filter { $0 == 0 }.count == 0, "lost: attachments without a verdict")
        #expect(counts.filter { $0 > 1 }.count == 0, "duplicated: attachments with more than one verdict")
        let jobs = try await system.rows(
            "SELECT status, count(*) AS n FROM jobs WHERE unit_id = $1 GROUP BY status", [unit.rawValue])
        let byStatus = Dictionary(
            uniqueKeysWithValues: try jobs.rows.map { (try $0.requiredString("status"), try $0.int("n") ?? 0) })
        #expect(byStatus == ["succeeded": files])
        let connection = AMQPConnection(configuration: system.environment.amqpConfiguration(name: "test queue check"))
        let drained = try await system.wait(timeout: .seconds(30)) {
            let state = try await connection.queueState(JobTopologyNames.workQueue(.attachmentValidation))
            return state.messages == 0
        }
        await connection.close()
        #expect(drained, "work queue still holds messages")
    }
}
