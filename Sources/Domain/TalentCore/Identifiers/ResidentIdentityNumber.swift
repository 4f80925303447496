/// A resident identity number (公民身份号码) validated per GB 11643-1999.
///
/// Shape: 6-digit address (region) code, 8-digit birth date `YYYYMMDD`, 3-digit sequence code (odd for
/// men, even for women), and a check character: ISO 7064 MOD 11-2 over the first 17 digits with weights
/// `2^(17−i) mod 11`, check = `(12 − Σ mod 11) mod 11`, 10 written `X`.
/// - Only ASCII digits are accepted: full-width (`１`) and other scripts' digits are rejected
///   (``Invalid/Reason/invalidCharacter``), never converted.
/// - The check character must be upper-case `X`; lower-case `x` is rejected like every other
///   identifier here (``Invalid/Reason/invalidCharacter``).
/// - The birth date must be a real date, not after `today`.
/// - The region code is checked against the province table of GB/T 2260 as a **warning** only
///   (``regionWarning``): abolished codes stay valid for the people who hold them.
///
/// Birth date and sex are derived from the number and never entered separately.
public struct ResidentIdentityNumber: Hashable, Sendable, CustomStringConvertible {
    /// The 18 characters.
    public let rawValue: String
    public let birthDate: CalendarDate
    public let sex: Sex
    /// Set when the region code's province is not in the table (GB/T 2260); not a rejection.
    public let regionWarning: String?

    /// Why a value is not a valid resident identity number.
    public struct Invalid: Error, Hashable, Sendable {
        public enum Reason: String, Sendable, Hashable {
            case wrongLength = "wrong_length"
            case invalidCharacter = "invalid_character"
            case invalidBirthDate = "invalid_birth_date"
            case birthDateInFuture = "birth_date_in_future"
            case checkCharacterMismatch = "check_character_mismatch"
        }
        public let reason: Reason
    }

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters: [UInt8] = Array("10X98765432".utf8)

    /// Validates `value` as of `today` (the birth date may not be later).
    /// - Throws: ``Invalid`` with the first rule it breaks, in this order: length, characters, birth
    ///   date, check character.
    public init(validating value: String, today: CalendarDate) throws(Invalid) {
        let bytes = Array(value.utf8)
        // Non-ASCII characters take more than one UTF-8 byte: compare characters and bytes.
        guard value.count == 18 else { throw Invalid(reason: .wrongLength) }
        guard bytes.count == 18 else { throw Invalid(reason: .invalidCharacter) }
        let digits = bytes[0..<17]
        guard digits.allSatisfy({ (0x30...0x39).contains($0) }),
            (0x30...0x39).contains(bytes[17]) || bytes[17] == UInt8(ascii: "X")
        else { throw Invalid(reason: .invalidCharacter) }
        let values = digits.map { Int($0) - 0x30 }
        let year = values[6] * 1000 + values[7] * 100 + values[8] * 10 + values[9]
        let month = values[10] * 10 + values[11]
        let day = values[12] * 10 + values[13]
        guard let birthDate = CalendarDate(year: year, month: month, day: day) else {
            throw Invalid(reason: .invalidBirthDate)
        }
        guard birthDate <= today else { throw Invalid(reason: .birthDateInFuture) }
        guard Self.checkCharacter(for: values) == bytes[17] else { throw Invalid(reason: .checkCharacterMismatch) }
        self.rawValue = value
        self.birthDate = birthDate
        self.sex = values[16] % 2 == 1 ? .male : .female
        let province = values[0] * 10 + values[1]
        self.regionWarning =
            AdministrativeRegion.provinces[province] == nil
            ? "region code \(value.prefix(6)): province \(province) is not in GB/T 2260" : nil
    }

    /// The check character (ASCII byte) for 17 digit values (ISO 7064 MOD 11-2).
    static func checkCharacter(for values: [Int]) -> UInt8 {
        var sum = 0
        for (value, weight) in zip(values, weights) { sum += value * weight }
        return checkCharacters[sum % 11]
    }

    /// A valid number from a 6-digit region code, a birth date and a 3-digit sequence (odd: male).
    /// Used by the demo-data generator; `nil` when the parts are malformed.
    public static func make(region: String, birthDate: CalendarDate, sequence: Int) -> ResidentIdentityNumber? {
        guard region.utf8.count == 6, region.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            (0...999).contains(sequence)
        else { return nil }
        let date = birthDate.description.replacingOccurrences(of: "-", with: "")
        let sequenceText = String(sequence)
        let body = region + date + String(repeating: "0", count: 3 - sequenceText.count) + sequenceText
        let check = checkCharacter(for: body.utf8.map { Int($0) - 0x30 })
        return try? ResidentIdentityNumber(
            validating: body + String(UnicodeScalar(check)), today: CalendarDate(year: 9999, month: 12, day: 31)!)
    }

    /// The number with the birth date and sequence masked (`110105********123X` → `110105********`…),
    /// for logs.
    public var masked: String { String(rawValue.prefix(6)) + "********" + String(rawValue.suffix(4)) }

    public var description: String { rawValue }
}

/// Sex as derived from a resident identity number (GB 11643-1999: odd sequence code = male).
public enum Sex: String, Sendable, Hashable, Codable {
    case male
    case female
}
