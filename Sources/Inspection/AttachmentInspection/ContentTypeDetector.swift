import CMagic

/// Detects a content type from bytes with libmagic (`MAGIC_MIME_TYPE`).
///
/// Not thread-safe (libmagic handles are per thread): create one per inspection thread or process.
public final class ContentTypeDetector {
    private let handle: magic_t?
    /// Whether libmagic's database loaded (without it every file is `application/octet-stream`).
    public let isLoaded: Bool

    public init() {
        handle = magic_open(MAGIC_MIME_TYPE)
        isLoaded = handle.map { magic_load($0, nil) == 0 } ?? false
    }

    deinit {
        if let handle { magic_close(handle) }
    }

    /// The MIME type of `bytes`, `application/x-empty` for none, or `application/octet-stream` when
    /// libmagic is unavailable or cannot tell.
    public func mimeType(of bytes: UnsafeRawBufferPointer) -> String {
        guard let handle, let base = bytes.baseAddress, bytes.count > 0 else {
            return bytes.isEmpty ? "application/x-empty" : "application/octet-stream"
        }
        guard let result = magic_buffer(handle, base, bytes.count) else { return "application/octet-stream" }
        return String(cString: result)
    }
}
