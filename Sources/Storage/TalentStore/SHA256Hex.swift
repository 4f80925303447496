import Crypto
import Foundation

/// Lower-case hexadecimal SHA-256 (64 characters), the form stored for attachments, migrations and
/// idempotency keys.
public enum SHA256Hex {
    /// Lower-case hex of the SHA-256 digest (64 characters). Every authenticated request computes one
    /// (the login record's key), so the hex is written directly rather than through `String(format:)`.
    public static func of<Bytes: DataProtocol>(_ bytes: Bytes) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
