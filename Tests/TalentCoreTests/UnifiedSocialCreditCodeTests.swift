import Foundation
import Testing

@testable import TalentCore

@Suite("Unified social credit code (GB 32100-2015)")
struct UnifiedSocialCreditCodeTests {
    /// The worked example commonly quoted with GB 32100-2015.
    static let example = "91350100M000100Y43"

    @Test func acceptsValidCodes() throws {
        #expect(try UnifiedSocialCreditCode(validating: Self.example).rawValue == Self.example)
        let generated = try #require(UnifiedSocialCreditCode.make(organisationBody: "MA01DEMQ"))
        #expect(try UnifiedSocialCreditCode(validating: generated.rawValue) == generated)
    }

    @Test("positions 1–2 are informational", arguments: ["A1", "N2", "Y1", "11", "52"])
    func acceptsAnyAuthorityAndCategory(prefix: String) throws {
        let code = try #require(UnifiedSocialCreditCode.make(prefix: prefix, organisationBody: "12345678"))
        #expect(code.rawValue.hasPrefix(prefix))
    }

    @Test func rejectsLowerCase() {
        #expect(throws: UnifiedSocialCreditCode.Invalid(reason: .invalidCharacter)) {
            try UnifiedSocialCreditCode(validating: Self.example.lowercased())
        }
    }

    @Test("letters I, O, S, V, Z are not in the alphabet", arguments: ["I", "O", "S", "V", "Z"])
    func rejectsExcludedLetters(letter: String) {
        let code = String(Self.example.dropLast()) + letter
        #expect(throws: UnifiedSocialCreditCode.Invalid(reason: .invalidCharacter)) {
            try UnifiedSocialCreditCode(validating: code)
        }
    }

    @Test func rejectsWrongLength() {
        for value in ["", String(Self.example.dropLast()), Self.example + "1"] {
            #expect(throws: UnifiedSocialCreditCode.Invalid(reason: .wrongLength)) {
                try UnifiedSocialCreditCode(validating: value)
            }
        }
    }

    @Test func rejectsNonASCIIDigits() {
        // Full-width digits look alike but are not the standard's characters.
        let fullWidth = "９" + Self.example.dropFirst()
        #expect(throws: UnifiedSocialCreditCode.Invalid.self) { try UnifiedSocialCreditCode(validating: fullWidth) }
    }

    @Test func rejectsWrongCheckCharacter() {
        let wrong = String(Self.example.dropLast()) + "4"
        #expect(throws: UnifiedSocialCreditCode.Invalid(reason: .checkCharacterMismatch)) {
            try UnifiedSocialCreditCode(validating: wrong)
        }
    }

    @Test func rejectsWrongOrganisationCodeCheck() {
        // Change the organisation code's check character (position 17) and recompute position 18,
        // so only the GB 11714 check fails.
        var characters = Array(Self.example)
        characters[16] = characters[16] == "Y" ? "X" : "Y"
        let code = UnifiedSocialCreditCode.completingUnchecked(String(characters.prefix(17)))
        #expect(throws: UnifiedSocialCreditCode.Invalid(reason: .organisationCodeCheckMismatch)) {
            try UnifiedSocialCreditCode(validating: code)
        }
    }

    @Test func decodesFromJSONOnlyWhenValid() throws {
        let decoder = JSONDecoder()
        #expect(throws: DecodingError.self) {
            try decoder.decode([UnifiedSocialCreditCode].self, from: Data(#"["91350100M000100Y44"]"#.utf8))
        }
        let decoded = try decoder.decode([UnifiedSocialCreditCode].self, from: Data("[\"\(Self.example)\"]".utf8))
        #expect(decoded.first?.rawValue == Self.example)
    }
}

extension UnifiedSocialCreditCode {
    /// 17 characters plus the check character that GB 32100 gives them, without other validation.
    static func completingUnchecked(_ prefix: String) -> String {
        let digits = prefix.map { values[$0] ?? 0 }
        return prefix + String(alphabet[checkDigit(for: digits[...])])
    }
}
