import Foundation
import TalentCore

#if canImport(Glibc)
    import Glibc
#endif

/// The body of the `talent-inspect` child process.
public enum InspectorProcess {
    /// CPU seconds the child may use; set by the parent through `TALENT_INSPECT_CPU_SECONDS`.
    static let defaultCPUSeconds = 10
    /// Address-space limit: 2 GiB (a 50-megapixel RGBA image needs 200 MB).
    static let addressSpaceBytes = 2 << 30

    public static func main(arguments: [String]) -> Never {
        let cpuSeconds =
            ProcessInfo.processInfo.environment["TALENT_INSPECT_CPU_SECONDS"].flatMap(Int.init)
            ?? defaultCPUSeconds
        limit(RLIMIT_CPU, rlim_t(cpuSeconds))
        limit(RLIMIT_AS, rlim_t(addressSpaceBytes))
        limit(RLIMIT_CORE, 0)

        guard arguments.count == 2,
            let request = try? JSONDecoder().decode(InspectionRequest.self, from: Data(arguments[1].utf8))
        else {
            FileHandle.standardError.write(Data("usage: talent-inspect '<request JSON>' < file\n".utf8))
            exit(64)
        }
        let bytes = FileHandle.standardInput.readDataToEndOfFile()
        let verdict = bytes.withUnsafeBytes { AttachmentInspector().inspect($0, request: request) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let output = try? encoder.encode(verdict) else { exit(70) }
        FileHandle.standardOutput.write(output)
        exit(0)
    }

    private static func limit(_ resource: __rlimit_resource, _ value: rlim_t) {
        var limits = rlimit(rlim_cur: value, rlim_max: value)
        _ = setrlimit(Int32(resource.rawValue), &limits)
    }
}
