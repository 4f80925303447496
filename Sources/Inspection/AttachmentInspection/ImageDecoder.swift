import CPNG
import CTurboJPEG

/// Decodes whole images with libpng (simplified API) and libjpeg-turbo, to prove they are intact.
///
/// An image that decodes only with decoder warnings (bad CRC, invalid chunk, extraneous bytes,
/// premature end) is corrupt (PRODUCT.md §4).
public enum ImageDecoder {
    /// The outcome of decoding.
    public enum Outcome: Sendable, Hashable {
        case decoded(width: Int, height: Int)
        case corrupt(String)
        case dimensionsExceeded(width: Int, height: Int)
    }

    /// Decodes a PNG completely (RGBA, 8 bits per channel) after checking `width × height ≤ maxPixels`
    /// and that no chunk runs past the end of the file (``truncatedChunk(_:)``).
    public static func decodePNG(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) -> Outcome {
        guard let base = bytes.baseAddress else { return .corrupt("no data") }
        if let truncated = truncatedChunk(bytes) { return .corrupt("\(truncated) chunk runs past the end of the file") }
        var result = talent_png_decode(base, bytes.count, UInt64(maxPixels))
        let message = withUnsafeBytes(of: &result.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        switch result.status {
        case 0: return .decoded(width: Int(result.width), height: Int(result.height))
        case 3: return .dimensionsExceeded(width: Int(result.width), height: Int(result.height))
        case 1: return .corrupt("libpng warning: \(message)")
        default: return .corrupt("libpng error: \(message)")
        }
    }

    /// Decodes a JPEG completely with libjpeg-turbo after checking `width × height ≤ maxPixels`.
    /// A decoder warning (`TJERR_WARNING`) makes the image corrupt.
    public static func decodeJPEG(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) -> Outcome {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else {
            return .corrupt("no data")
        }
        guard let handle = tjInitDecompress() else { return .corrupt("libjpeg-turbo: cannot initialise") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        if tjDecompressHeader3(handle, base, UInt(bytes.count), &width, &height, &subsampling, &colorspace) != 0 {
            return .corrupt("libjpeg-turbo: \(String(cString: tjGetErrorStr2(handle)))")
        }
        guard width > 0, height > 0 else { return .corrupt("libjpeg-turbo: zero dimension") }
        if Int(width) * Int(height) > maxPixels {
            return .dimensionsExceeded(width: Int(width), height: Int(height))
        }
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let format = cmyk ? TJPF_CMYK : TJPF_RGB
        let pixelSize = cmyk ? 4 : 3
        var output = [UInt8](repeating: 0, count: Int(width) * Int(height) * pixelSize)
        let status = output.withUnsafeMutableBufferPointer { out in
            tjDecompress2(
                handle, base, UInt(bytes.count), out.baseAddress, width, 0, height, format.rawValue, 0)
        }
        if status != 0 {
            let message = String(cString: tjGetErrorStr2(handle))
            let kind = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) ? "warning" : "error"
            return .corrupt("libjpeg-turbo \(kind): \(message)")
        }
        return .decoded(width: Int(width), height: Int(height))
    }

    /// The type of the first chunk, before `IEND`, whose declared length runs past the end of the file.
    ///
    /// libpng allocates a chunk's declared length (up to 2³¹ − 1 bytes) before it finds the data
    /// missing: a 57-byte file declaring a 1 GiB `sCAL` chunk costs a second of CPU and most of the
    /// child's address space. Walking the chunk headers first (PNG specification §5.3: length, type,
    /// data, CRC) finds such a file corrupt for free; pngcheck says the same ("EOF while reading").
    static func truncatedChunk(_ bytes: UnsafeRawBufferPointer) -> String? {
        var offset = 8  // the signature; libpng checks it
        while offset + 8 <= bytes.count {
            let length =
                Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
                | Int(bytes[offset + 3])
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            if offset + 12 + length > bytes.count { return type }
            if type == "IEND" { return nil }
            offset += 12 + length
        }
        return nil
    }
}
