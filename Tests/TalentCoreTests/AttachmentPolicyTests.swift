import Testing

@testable import TalentCore

@Suite("Attachment rules (PRODUCT.md §4)")
struct AttachmentPolicyTests {
    let policy = AttachmentPolicy()

    @Test func emptyComesFirst() {
        let result = policy.precheck(
            byteCount: 0, kind: .other, fileName: "a.exe", detectedMimeType: "application/x-empty")
        #expect(result == .failure(.init(reason: .empty, detail: "zero bytes")))
    }

    @Test func sizeLimitPerKind() {
        let custom = AttachmentPolicy(maxBytesByKind: [.businessLicence: 100])
        if case .failure(let rejection) = custom.precheck(
            byteCount: 101, kind: .businessLicence, fileName: "a.pdf", detectedMimeType: "application/pdf")
        {
            #expect(rejection.reason == .tooLarge)
        } else {
            Issue.record("expected too_large")
        }
        #expect(
            custom.precheck(byteCount: 101, kind: .other, fileName: "a.pdf", detectedMimeType: "application/pdf")
                == .success(.pdf))
        #expect(policy.maxBytes(for: .other) == 5 * 1024 * 1024)
    }

    @Test func typeComesFromContent() {
        #expect(
            policy.precheck(byteCount: 10, kind: .other, fileName: "photo.png", detectedMimeType: "image/gif")
                .failureReason == .unsupportedType)
        #expect(
            policy.precheck(byteCount: 10, kind: .other, fileName: "scan.pdf", detectedMimeType: "image/png")
                .failureReason == .typeMismatch)
        #expect(
            policy.precheck(byteCount: 10, kind: .other, fileName: "SCAN.JPEG", detectedMimeType: "image/jpeg")
                == .success(.jpeg))
        #expect(
            policy.precheck(byteCount: 10, kind: .other, fileName: "noextension", detectedMimeType: "image/png")
                .failureReason == .typeMismatch)
    }

    @Test("unrecognised content named as an allowed type is judged as that type")
    func unrecognisedContentIsParsedAsClaimed() {
        #expect(
            policy.precheck(
                byteCount: 10, kind: .other, fileName: "x.jpg", detectedMimeType: "application/octet-stream")
                == .success(.jpeg))
        #expect(
            policy.precheck(byteCount: 10, kind: .other, fileName: "x.pdf", detectedMimeType: "text/plain")
                == .success(.pdf))
        #expect(
            policy.precheck(byteCount: 10, kind: .other, fileName: "x.txt", detectedMimeType: "text/plain")
                .failureReason == .unsupportedType)
    }
}

extension Result where Failure == AttachmentPolicy.Rejection {
    var failureReason: AttachmentReason? {
        if case .failure(let rejection) = self { return rejection.reason }
        return nil
    }
}
