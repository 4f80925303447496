/// Limits applied to attachments (PRODUCT.md §4).
public struct AttachmentPolicy: Sendable, Hashable, Codable {
    /// Default size limit per attachment kind: 5 MiB.
    public static let defaultMaxBytes = 5 * 1024 * 1024
    /// Default pixel limit for images: 50 million pixels.
    public static let defaultMaxPixels = 50_000_000

    /// Size limit in bytes, per kind; kinds not listed use ``defaultMaxBytes``.
    public var maxBytesByKind: [AttachmentKind: Int]
    /// Pixel limit (width × height) for images.
    public var maxPixels: Int

    public init(maxBytesByKind: [AttachmentKind: Int] = [:], maxPixels: Int = Self.defaultMaxPixels) {
        self.maxBytesByKind = maxBytesByKind
        self.maxPixels = maxPixels
    }

    /// The size limit in bytes for `kind`.
    public func maxBytes(for kind: AttachmentKind) -> Int {
        maxBytesByKind[kind] ?? Self.defaultMaxBytes
    }

    /// The largest limit over all kinds: the gateway's request body cap.
    public var largestMaxBytes: Int {
        AttachmentKind.allCases.map(maxBytes(for:)).max() ?? Self.defaultMaxBytes
    }

    /// The checks that need no parser, in the order PRODUCT.md §4 gives them: empty, size, type from
    /// content, name's extension. Returns the rejection, or the allowed type for the parser checks.
    public func precheck(
        byteCount: Int, kind: AttachmentKind, fileName: String, detectedMimeType: String
    ) -> Result<AttachmentFileType, Rejection> {
        if byteCount == 0 { return .failure(Rejection(reason: .empty, detail: "zero bytes")) }
        let limit = maxBytes(for: kind)
        if byteCount > limit {
            return .failure(Rejection(reason: .tooLarge, detail: "\(byteCount) bytes > limit \(limit)"))
        }
        guard let type = AttachmentFileType(mimeType: detectedMimeType) ?? claimedType(fileName, detectedMimeType)
        else {
            return .failure(Rejection(reason: .unsupportedType, detail: "content is \(detectedMimeType)"))
        }
        guard type.agrees(withFileName: fileName) else {
            return .failure(
                Rejection(reason: .typeMismatch, detail: "content is \(type.mimeType), name does not agree"))
        }
        return .success(type)
    }

    /// Content types libmagic reports when it recognises no format at all (as opposed to a format of
    /// its own, such as `image/gif` or `application/zip`).
    public static let unrecognisedMimeTypes: Set<String> = ["application/octet-stream", "text/plain"]

    /// When the content is unrecognised but the name claims an allowed type, the bytes are judged as
    /// that type: a damaged JPEG whose signature is gone is a corrupt JPEG, not an unsupported type
    /// (the corpus oracles, djpeg and qpdf, judge such files the same way).
    func claimedType(_ fileName: String, _ detectedMimeType: String) -> AttachmentFileType? {
        guard Self.unrecognisedMimeTypes.contains(detectedMimeType) else { return nil }
        return AttachmentFileType.allCases.first { $0.agrees(withFileName: fileName) }
    }

    /// A rejection decided by ``precheck(byteCount:kind:fileName:detectedMimeType:)``.
    public struct Rejection: Error, Sendable, Hashable {
        public var reason: AttachmentReason
        public var detail: String
    }
}
