import AttachmentInspection
import Foundation
import TalentClient
import TalentCore
import TalentTestSupport
import Testing

@Suite("Contained inspection")
struct ContainedInspectorTests {
    let request = InspectionRequest(fileName: "a.png", kind: .other, policy: AttachmentPolicy())

    /// Every corpus file, inspected by the real `talent-inspect` child, agrees with the manifest's
    /// verdict and reason (oracles: pngcheck, djpeg, qpdf).
    @Test func corpusAgreesWithManifest() async throws {
        let environment = try TestEnvironment.current()
        let inspector = ContainedInspector(
            configuration: .init(executablePath: environment.binDirectory.appendingPathComponent("talent-inspect").path)
        )
        let manifest = try ManifestFile.load(environment.corpusDirectory.appendingPathComponent("manifest.tsv").path)
        let files = try CorpusUpload.files(in: environment.corpusDirectory.appendingPathComponent("files"))
        #expect(files.count == manifest.expectations.count)
        var disagreements: [String] = []
        for file in files {
            let bytes = Array(try Data(contentsOf: file))
            let verdict = try await inspector.inspect(
                bytes,
                request: InspectionRequest(fileName: file.lastPathComponent, kind: .other, policy: AttachmentPolicy()))
            let expected = manifest.expectations[file.lastPathComponent]
            if expected?.verdict != verdict.outcome.rawValue || expected?.reason != (verdict.reason?.rawValue ?? "") {
                disagreements.append(
                    "\(file.lastPathComponent): \(verdict.outcome) \(verdict.reason?.rawValue ?? "") \(verdict.detail ?? "")"
                )
            }
        }
        #expect(disagreements == [])
    }

    /// A child that crashes every time: the file is quarantined as corrupt, the caller lives on.
    @Test func crashingChildIsQuarantined() async throws {
        let script = try Self.script("kill -SEGV $$")
        let inspector = ContainedInspector(configuration: .init(executablePath: script, wallSeconds: 5, attempts: 2))
        let verdict = try await inspector.inspect([1, 2, 3], request: request)
        #expect(verdict.outcome == .rejected)
        #expect(verdict.reason == .corrupt)
        #expect(verdict.warnings.count == 2)
        #expect(verdict.warnings.allSatisfy { $0.contains("signal 11") })
    }

    /// A child that hangs is killed at the wall-clock limit.
    @Test func hangingChildIsKilledAtTheTimeLimit() async throws {
        let script = try Self.script("exec sleep 60")
        let inspector = ContainedInspector(configuration: .init(executablePath: script, wallSeconds: 1, attempts: 1))
        let outcome = await inspector.runChild([1], request: request)
        #expect(outcome == .timedOut)
        let verdict = try await inspector.inspect([1], request: request)
        #expect(verdict.reason == .corrupt)
    }

    /// A child that spins on the CPU ends by its own RLIMIT_CPU (SIGXCPU/SIGKILL) as a time-out.
    @Test func childOverItsCPULimitIsATimeout() async throws {
        let script = try Self.script("ulimit -t 1 && while :; do :; done", shell: "/bin/bash")
        let spinning = ContainedInspector(configuration: .init(executablePath: script, wallSeconds: 30, attempts: 1))
        #expect(await spinning.runChild([1], request: request) == .timedOut)
    }

    /// When no child can be started, the file is not judged: the caller gets an error and retries.
    @Test func missingInspectorIsUnavailableNotCorrupt() async throws {
        let inspector = ContainedInspector(configuration: .init(executablePath: "/nonexistent/talent-inspect"))
        await #expect(throws: ContainedInspector.Unavailable.self) {
            _ = try await inspector.inspect([1, 2, 3], request: request)
        }
    }

    /// A child that prints garbage is a failure, not a verdict.
    @Test func unreadableOutputIsAFailure() async throws {
        let script = try Self.script("echo not-json")
        let inspector = ContainedInspector(configuration: .init(executablePath: script, attempts: 1))
        let outcome = await inspector.runChild([1], request: request)
        #expect(outcome == .failed("unreadable verdict"), "\(outcome)")
    }

    /// Writes an executable script through a close-on-exec descriptor, so that no process spawned
    /// meanwhile by a parallel test holds it open for writing (which would make exec fail: ETXTBSY).
    static func script(_ body: String, shell: String = "/bin/sh") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("inspect-\(UUID().uuidString).sh").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        let text = Array("#!\(shell)\n\(body)\n".utf8)
        let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == text.count else { throw CocoaError(.fileWriteUnknown) }
        return path
    }
}
