import Foundation
import TalentCore

#if canImport(Glibc)
    import Glibc
#endif

/// The body of an inspection process: limits itself, reads the file on standard input, writes the
/// verdict as JSON on standard output and ends.
///
/// Runs in a child forked by ``ForkServer`` for each file (the worker's path), or as the one-shot
/// command `talent-inspect '<request JSON>' < file` (for an operator looking at one file).
public enum InspectorProcess {
    /// CPU seconds of the one-shot command; set through `TALENT_INSPECT_CPU_SECONDS`.
    static let defaultCPUSeconds = 10
    /// Address-space limit: 2 GiB (a 50-megapixel RGBA image needs 200 MB).
    static let addressSpaceBytes = 2 << 30

    /// Exit statuses of an inspection process (sysexits.h).
    enum ExitStatus: Int32 {
        case verdict = 0
        case usage = 64
        case internalError = 70
    }

    /// `talent-inspect` entry point: `--serve` runs the fork server on the socket at standard
    /// input (see ``ForkServer``); otherwise one inspection of standard input.
    public static func main(arguments: [String]) -> Never {
        if arguments.count >= 2, arguments[1] == "--serve" {
            ForkServer.main(arguments: Array(arguments.dropFirst(2)))
        }
        let cpuSeconds =
            ProcessInfo.processInfo.environment["TALENT_INSPECT_CPU_SECONDS"].flatMap(Int.init)
            ?? defaultCPUSeconds
        guard arguments.count == 2 else {
            FileHandle.standardError.write(
                Data("usage: talent-inspect '<request JSON>' < file | talent-inspect --serve\n".utf8))
            exit(ExitStatus.usage.rawValue)
        }
        limitSelf(cpuSeconds: rlim_t(cpuSeconds))
        exit(inspectStandardInput(requestJSON: Array(arguments[1].utf8), detector: ContentTypeDetector()).rawValue)
    }

    /// Sets this process's CPU-time (`RLIMIT_CPU`, seconds: SIGXCPU at the limit, SIGKILL a second
    /// later), address-space and core-file limits. The soft limit below the hard one makes an overrun
    /// end by SIGXCPU, told apart from a SIGKILL sent from outside (the out-of-memory killer, an
    /// operator), which is not the file's doing.
    static func limitSelf(cpuSeconds: rlim_t) {
        limit(RLIMIT_CPU, soft: cpuSeconds, hard: cpuSeconds + 1)
        limit(RLIMIT_AS, soft: rlim_t(addressSpaceBytes), hard: rlim_t(addressSpaceBytes))
        limit(RLIMIT_CORE, soft: 0, hard: 0)
    }

    /// Inspects standard input as `requestJSON` asks and writes the verdict on standard output.
    static func inspectStandardInput(requestJSON: [UInt8], detector: ContentTypeDetector) -> ExitStatus {
        guard let request = try? JSONDecoder().decode(InspectionRequest.self, from: Data(requestJSON)) else {
            return .usage
        }
        guard let bytes = readAll(descriptor: 0) else { return .internalError }
        let verdict = bytes.withUnsafeBytes { AttachmentInspector(detector: detector).inspect($0, request: request) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let output = try? encoder.encode(verdict), writeAll(Array(output), descriptor: 1) else {
            return .internalError
        }
        return .verdict
    }

    private static func readAll(descriptor: Int32) -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { return bytes }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }

    static func writeAll(_ bytes: [UInt8], descriptor: Int32) -> Bool {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if result < 0 && errno == EINTR { continue }
            if result <= 0 { return false }
            written += result
        }
        return true
    }

    private static func limit(_ resource: __rlimit_resource, soft: rlim_t, hard: rlim_t) {
        var limits = rlimit(rlim_cur: soft, rlim_max: hard)
        _ = setrlimit(Int32(resource.rawValue), &limits)
    }
}
