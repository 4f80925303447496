import AttachmentInspection
import Foundation
import TalentCore
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
}
