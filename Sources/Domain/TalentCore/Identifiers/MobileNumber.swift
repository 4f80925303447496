/// A mainland China mobile number: 11 ASCII digits starting with `1`, optionally written with a
/// `+86` prefix (stored without it).
///
/// Full-width (`１３８…`) and other non-ASCII digits are rejected (``Invalid/Reason/invalidCharacter``),
/// never converted; spaces and dashes are not accepted either.
public struct MobileNumber: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The 11 digits.
    public let rawValue: String

    public struct Invalid: Error, Hashable, Sendable {
        public enum Reason: String, Sendable, Hashable {
            case invalidCharacter = "invalid_character"
            case wrongLength = "wrong_length"
            case mustStartWithOne = "must_start_with_1"
        }
        public let reason: Reason
    }

    /// - Throws: ``Invalid``.
    public init(validating value: String) throws(Invalid) {
        let digits = value.hasPrefix("+86") ? String(value.dropFirst(3)) : value
        guard digits.unicodeScalars.allSatisfy({ $0.isASCII && (0x30...0x39).contains($0.value) }) else {
            throw Invalid(reason: .invalidCharacter)
        }
        guard digits.utf8.count == 11 else { throw Invalid(reason: .wrongLength) }
        guard digits.hasPrefix("1") else { throw Invalid(reason: .mustStartWithOne) }
        rawValue = digits
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try MobileNumber(validating: text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "mobile number: \(error.reason.rawValue)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
