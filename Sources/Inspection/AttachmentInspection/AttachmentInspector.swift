import TalentCore

/// Validates an attachment's bytes in this process (PRODUCT.md §4): content type by libmagic, then
/// the pure checks of ``AttachmentPolicy``, then a full decode (PNG, JPEG) or qpdf check (PDF).
///
/// Parsing is untrusted work that may crash or hang: production code runs this inside the
/// `talent-inspect` child process through ``ContainedInspector``, never in a worker.
public struct AttachmentInspector {
    let detector: ContentTypeDetector?

    /// - Parameter detector: a libmagic handle already loaded (the fork server's); `nil` loads one
    ///   per inspection.
    public init(detector: ContentTypeDetector? = nil) {
        self.detector = detector
    }

    /// The verdict; its `detectedType` is what libmagic detected (`text/plain` for a text file named
    /// `.pdf`, which is then judged as the PDF its name claims), never the type the name claims.
    public func inspect(_ bytes: UnsafeRawBufferPointer, request: InspectionRequest) -> AttachmentVerdict {
        let detected = bytes.isEmpty ? "application/x-empty" : (detector ?? ContentTypeDetector()).mimeType(of: bytes)
        var verdict = judge(bytes, detected: detected, request: request)
        verdict.detectedType = detected
        return verdict
    }

    func judge(_ bytes: UnsafeRawBufferPointer, detected: String, request: InspectionRequest) -> AttachmentVerdict {
        let type: AttachmentFileType
        switch request.policy.precheck(
            byteCount: bytes.count, kind: request.kind, fileName: request.fileName, detectedMimeType: detected)
        {
        case .failure(let rejection):
            return .rejected(rejection.reason, detail: rejection.detail, detectedType: detected)
        case .success(let allowed):
            type = allowed
        }
        switch type {
        case .png:
            return Self.verdict(for: ImageDecoder.decodePNG(bytes, maxPixels: request.policy.maxPixels), type: type)
        case .jpeg:
            return Self.verdict(for: ImageDecoder.decodeJPEG(bytes, maxPixels: request.policy.maxPixels), type: type)
        case .pdf:
            switch PDFChecker.check(bytes) {
            case .clean(let warnings): return .accepted(detectedType: type.mimeType, warnings: warnings)
            case .corrupt(let detail): return .rejected(.corrupt, detail: detail, detectedType: type.mimeType)
            case .encrypted:
                return .rejected(.encrypted, detail: "a user password is required", detectedType: type.mimeType)
            case .activeContent(let detail):
                return .rejected(.activeContent, detail: detail, detectedType: type.mimeType)
            }
        }
    }

    static func verdict(for outcome: ImageDecoder.Outcome, type: AttachmentFileType) -> AttachmentVerdict {
        switch outcome {
        case .decoded(let width, let height):
            return .accepted(detectedType: type.mimeType, width: width, height: height)
        case .corrupt(let detail):
            return .rejected(.corrupt, detail: detail, detectedType: type.mimeType)
        case .dimensionsExceeded(let width, let height):
            var verdict = AttachmentVerdict.rejected(
                .dimensionsExceeded, detail: "\(width)×\(height) pixels", detectedType: type.mimeType)
            verdict.width = width
            verdict.height = height
            return verdict
        }
    }
}
