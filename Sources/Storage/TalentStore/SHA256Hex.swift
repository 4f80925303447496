import Crypto
import Foundation

/// Lower-case hexadecimal SHA-256 (64 characters), the form stored for attachments, migrations and
/// idempotency keys.
public enum SHA256Hex {
    public static func of<Bytes: DataProtocol>(_ bytes: Bytes) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
