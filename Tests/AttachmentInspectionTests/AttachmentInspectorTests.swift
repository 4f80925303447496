import AttachmentInspection
import CTurboJPEG
import Foundation
import TalentCore
import TalentTestSupport
import Testing

/// The in-process inspector (what the contained child runs).
@Suite("Attachment inspector")
struct AttachmentInspectorTests {
    /// `detectedType` says what libmagic detected, not what the name claims: a plain-text file named
    /// `.pdf` is judged as the PDF it claims to be (and is corrupt), and reported as `text/plain`.
    @Test func detectedTypeIsWhatWasDetected() {
        let text = Array("just some words, not a document\n".utf8)
        let verdict = text.withUnsafeBytes {
            AttachmentInspector().inspect(
                $0, request: InspectionRequest(fileName: "scan.pdf", kind: .other, policy: AttachmentPolicy()))
        }
        #expect(verdict.outcome == .rejected)
        #expect(verdict.reason == .corrupt)
        #expect(verdict.detectedType == "text/plain")
    }

    /// A CMYK JPEG (4 components) made here with libjpeg-turbo, its Adobe APP14 marker dropped and a
    /// JFIF APP0 marker put in, as some scanners write them; djpeg decodes it without a warning.
    static func cmykJPEGWithJFIFMarker(subsampling: TJSAMP, progressive: Bool) throws -> [UInt8] {
        let width: Int32 = 64
        let height: Int32 = 48
        let pixels = (0..<Int(width * height * 4)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let handle = try #require(tjInitCompress())
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer {
            tjCompress2(
                handle, $0.baseAddress, width, 0, height, TJPF_CMYK.rawValue, &buffer, &size,
                Int32(subsampling.rawValue), 90, progressive ? TJFLAG_PROGRESSIVE : 0)
        }
        try #require(status == 0)
        defer { tjFree(buffer) }
        let jpeg = Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
        let jfif: [UInt8] = [
            0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
        ]
        var output: [UInt8] = [0xFF, 0xD8] + jfif
        var index = 2
        while index + 3 < jpeg.count, jpeg[index] == 0xFF {
            let marker = jpeg[index + 1]
            if marker == 0xDA {
                output += jpeg[index...]
                break
            }
            let length = Int(jpeg[index + 2]) << 8 | Int(jpeg[index + 3])
            if marker != 0xEE && marker != 0xE0 { output += jpeg[index..<(index + length + 2)] }
            index += length + 2
        }
        return output
    }

    /// Whether `bytes` has a marker segment `marker` before the scan.
    static func hasMarker(_ bytes: [UInt8], _ marker: UInt8) -> Bool {
        var index = 2
        while index + 3 < bytes.count, bytes[index] == 0xFF, bytes[index + 1] != 0xDA {
            if bytes[index + 1] == marker { return true }
            index += (Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])) + 2
        }
        return false
    }

    @Test(arguments: [TJSAMP_444, TJSAMP_422, TJSAMP_420, TJSAMP_440, TJSAMP_411], [false, true])
    func aCMYKJPEGWithAJFIFMarkerIsAccepted(subsampling: TJSAMP, progressive: Bool) async throws {
        let bytes = try Self.cmykJPEGWithJFIFMarker(subsampling: subsampling, progressive: progressive)
        #expect(Self.hasMarker(bytes, 0xE0))
        #expect(!Self.hasMarker(bytes, 0xEE))
        let verdict = bytes.withUnsafeBytes {
            AttachmentInspector().inspect(
                $0, request: InspectionRequest(fileName: "scan.jpg", kind: .other, policy: AttachmentPolicy()))
        }
        #expect(verdict.outcome == .accepted, "\(verdict.reason?.rawValue ?? "") \(verdict.detail ?? "")")
        #expect(verdict.detectedType == "image/jpeg")
        #expect(verdict.width == 64 && verdict.height == 48)
        // The same through the real contained child (the worker's path).
        let contained = ContainedInspector(
            configuration: .init(
                executablePath: try TestEnvironment.current().binDirectory.appendingPathComponent("talent-inspect").path
            ))
        let judged = try await contained.inspect(
            bytes, request: InspectionRequest(fileName: "scan.jpg", kind: .other, policy: AttachmentPolicy()))
        #expect(judged.outcome == .accepted, "\(judged.reason?.rawValue ?? "") \(judged.detail ?? "")")
    }
}
