import Foundation

/// Invented demo attachments: small grey-scale PNG images (PNG 1.2, ISO/IEC 15948) made in code, so
/// a demo or test needs no file of its own. Deflate "stored" blocks (RFC 1951 §3.2.4) in a zlib
/// stream (RFC 1950), each chunk with its CRC-32: a file every PNG decoder accepts.
public enum DemoDocument {
    /// A `width` × `height` image (1–256 pixels each way) whose pixels depend on `seed`, so two
    /// documents differ in content and checksum.
    public static func png(width: Int = 32, height: Int = 24, seed: Int) -> Data {
        let width = min(max(width, 1), 256)
        let height = min(max(height, 1), 256)
        var raw: [UInt8] = []
        for row in 0..<height {
            raw.append(0)  // filter type None
            for column in 0..<width { raw.append(UInt8(truncatingIfNeeded: row &* 7 &+ column &* 3 &+ seed &* 31)) }
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(raw.count - offset, 65_535)
            let final: UInt8 = offset + length == raw.count ? 1 : 0
            zlib.append(final)
            zlib += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            zlib += raw[offset..<(offset + length)]
            offset += length
        } while offset < raw.count
        zlib += bigEndian(adler32(raw))
        var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, 0, 0, 0, 0]  // 8 bits, grey scale, deflate, adaptive filtering, no interlace
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file += chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", [])
        return Data(file)
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// CRC-32 (ISO 3309, as PNG uses it).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// Adler-32 (RFC 1950 §8).
    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }
}
