/// A unified social credit code (统一社会信用代码) of a unit, validated per GB 32100-2015.
///
/// Shape: 18 characters from `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, S, V, Z).
/// - Position 18 is a check character: weights `3^(i-1) mod 31` for i = 1…17,
///   check = `(31 − Σ cᵢwᵢ mod 31) mod 31` (GB 32100-2015 §4 and annex B).
/// - Positions 9–17 carry a GB 11714-1997 organisation code whose 9th character is its own check
///   character: weights 3,7,9,10,5,8,4,2; check = 11 − Σ mod 11, 10 → `X`, 11 → `0`.
/// - Positions 1–2 (registration authority, unit category) are informational and not checked.
///
/// Lower case is **rejected**, not normalised: the code is an identifier issued in upper case, and a
/// portal that sends lower case has a bug worth seeing (reason ``Invalid/Reason/invalidCharacter``).
public struct UnifiedSocialCreditCode: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The 18 upper-case characters.
    public let rawValue: String

    /// Why a value is not a valid code.
    public struct Invalid: Error, Hashable, Sendable {
        /// Machine-readable reason.
        public enum Reason: String, Sendable, Hashable {
            case wrongLength = "wrong_length"
            case invalidCharacter = "invalid_character"
            case organisationCodeCheckMismatch = "organisation_code_check_mismatch"
            case checkCharacterMismatch = "check_character_mismatch"
        }
        public let reason: Reason
    }

    static let alphabet: [Character] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let values: [Character: Int] = Dictionary(
        uniqueKeysWithValues: alphabet.enumerated().map { ($1, $0) })

    /// Validates `value`.
    /// - Throws: ``Invalid`` with the first rule it breaks.
    public init(validating value: String) throws(Invalid) {
        let characters = Array(value)
        guard characters.count == 18, value.utf8.count == 18 else { throw Invalid(reason: .wrongLength) }
        var digits: [Int] = []
        digits.reserveCapacity(18)
        for character in characters {
            guard let digit = Self.values[character] else { throw Invalid(reason: .invalidCharacter) }
            digits.append(digit)
        }
        // GB 11714: positions 9–17 (0-based 8…16), the last of them a check character.
        let organisation = Array(characters[8..<17])
        guard Self.organisationCheck(organisation) else {
            throw Invalid(reason: .organisationCodeCheckMismatch)
        }
        guard Self.checkDigit(for: digits[0..<17]) == digits[17] else {
            throw Invalid(reason: .checkCharacterMismatch)
        }
        self.rawValue = value
    }

    /// The check character's value (0…30) for the first 17 characters' values (GB 32100-2015).
    static func checkDigit(for digits: ArraySlice<Int>) -> Int {
        var weight = 1
        var sum = 0
        for digit in digits {
            sum += digit * weight
            weight = (weight * 3) % 31
        }
        return (31 - sum % 31) % 31
    }

    /// GB 11714-1997 organisation code check: eight body characters and a check character.
    static func organisationCheck(_ code: [Character]) -> Bool {
        let weights = [3, 7, 9, 10, 5, 8, 4, 2]
        var sum = 0
        for (index, character) in code.prefix(8).enumerated() {
            // Body characters are digits or upper-case letters (A=10 … Z=35).
            guard let ascii = character.asciiValue else { return false }
            let value: Int
            switch ascii {
            case 48...57: value = Int(ascii) - 48
            case 65...90: value = Int(ascii) - 55
            default: return false
            }
            sum += value * weights[index]
        }
        let check = 11 - sum % 11
        let expected: Character =
            switch check {
            case 10: "X"
            case 11: "0"
            default: Character(String(check))
            }
        return code[8] == expected
    }

    /// Completes 17 characters from the alphabet with their check character (for generators and tests).
    /// Returns `nil` when `prefix` is not 17 alphabet characters.
    public static func completing(_ prefix: String) -> UnifiedSocialCreditCode? {
        let characters = Array(prefix)
        guard characters.count == 17 else { return nil }
        var digits: [Int] = []
        for character in characters {
            guard let digit = values[character] else { return nil }
            digits.append(digit)
        }
        let check = alphabet[checkDigit(for: digits[...])]
        return try? UnifiedSocialCreditCode(validating: prefix + String(check))
    }

    /// Builds a valid code from an 8-character organisation body (digits / upper-case letters), a
    /// 6-digit region code and the authority+category prefix (for generators and tests).
    public static func make(prefix: String = "91", region: String = "110108", organisationBody: String)
        -> UnifiedSocialCreditCode?
    {
        let body = Array(organisationBody)
        guard body.count == 8 else { return nil }
        let weights = [3, 7, 9, 10, 5, 8, 4, 2]
        var sum = 0
        for (index, character) in body.enumerated() {
            guard let ascii = character.asciiValue else { return nil }
            switch ascii {
            case 48...57: sum += (Int(ascii) - 48) * weights[index]
            case 65...90: sum += (Int(ascii) - 55) * weights[index]
            default: return nil
            }
        }
        let check = 11 - sum % 11
        let checkCharacter = check == 10 ? "X" : check == 11 ? "0" : String(check)
        return completing(prefix + region + organisationBody + checkCharacter)
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        do {
            try self.init(validating: raw)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "invalid unified social credit code: \(error.reason.rawValue)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
