import Testing

@testable import TalentCore

/// GB 11643-1999 rules (PRODUCT.md §4), the mobile-number rule, and calendar dates.
@Suite("Resident identity numbers")
struct ResidentIdentityNumberTests {
    let today = CalendarDate(year: 2026, month: 11, day: 29)!

    /// Published examples of the ISO 7064 MOD 11-2 check (GB 11643-1999 annex).
    @Test(arguments: ["11010519491231002X", "440524188001010014"])
    func acceptsStandardExamples(value: String) throws {
        let number = try ResidentIdentityNumber(validating: value, today: today)
        #expect(number.rawValue == value)
    }

    @Test func derivesBirthDateAndSex() throws {
        let woman = try ResidentIdentityNumber(validating: "11010519491231002X", today: today)
        #expect(woman.birthDate == CalendarDate(year: 1949, month: 12, day: 31))
        #expect(woman.sex == .female)
        let man = try ResidentIdentityNumber(validating: "440524188001010014", today: today)
        #expect(man.sex == .male)
        #expect(man.regionWarning == nil)
    }

    @Test(arguments: [
        ("11010519491231002", ResidentIdentityNumber.Invalid.Reason.wrongLength),
        ("11010519491231002XX", .wrongLength),
        ("11010519491231002x", .invalidCharacter),
        ("１１０１０５１９４９１２３１００２Ｘ", .invalidCharacter),
        ("11010519491231002٣", .invalidCharacter),
        ("1101051949123100A2", .invalidCharacter),
        ("110105194902300021", .invalidBirthDate),
        ("110105199913310021", .invalidBirthDate),
        ("110105203001010021", .birthDateInFuture),
        ("110105194912310021", .checkCharacterMismatch),
    ])
    func refuses(value: String, reason: ResidentIdentityNumber.Invalid.Reason) {
        #expect(throws: ResidentIdentityNumber.Invalid(reason: reason)) {
            try ResidentIdentityNumber(validating: value, today: today)
        }
    }

    @Test func unknownProvinceIsAWarningNotARejection() throws {
        let number = try #require(
            ResidentIdentityNumber.make(
                region: "990101", birthDate: CalendarDate(year: 1990, month: 5, day: 17)!, sequence: 11))
        #expect(number.regionWarning != nil)
        #expect(try ResidentIdentityNumber(validating: number.rawValue, today: today) == number)
    }

    @Test func madeNumbersAreValidAndCarryTheirParts() throws {
        for sequence in [0, 1, 2, 999] {
            let birth = CalendarDate(year: 1984, month: 2, day: 29)!
            let number = try #require(
                ResidentIdentityNumber.make(region: "110105", birthDate: birth, sequence: sequence))
            #expect(number.birthDate == birth)
            #expect(number.sex == (sequence % 2 == 1 ? .male : .female))
        }
    }

    @Test func theBirthDateMayBeToday() throws {
        let number = try #require(ResidentIdentityNumber.make(region: "110105", birthDate: today, sequence: 1))
        #expect(try ResidentIdentityNumber(validating: number.rawValue, today: today).birthDate == today)
    }
}

@Suite("Mobile numbers")
struct MobileNumberTests {
    @Test(arguments: ["13800138000", "+8613800138000", "19912345678"])
    func accepts(value: String) throws {
        #expect(try MobileNumber(validating: value).rawValue.count == 11)
    }

    @Test(arguments: [
        ("１３８００１３８０００", MobileNumber.Invalid.Reason.invalidCharacter),
        ("138 0013 8000", .invalidCharacter),
        ("138-0013-8000", .invalidCharacter),
        ("+86 13800138000", .invalidCharacter),
        ("1380013800", .wrongLength),
        ("138001380001", .wrongLength),
        ("23800138000", .mustStartWithOne),
        ("", .wrongLength),
    ])
    func refuses(value: String, reason: MobileNumber.Invalid.Reason) {
        #expect(throws: MobileNumber.Invalid(reason: reason)) { try MobileNumber(validating: value) }
    }
}

@Suite("Calendar dates")
struct CalendarDateTests {
    @Test func parsesAndPrintsISO8601() {
        #expect(CalendarDate(iso8601: "2024-02-29")?.description == "2024-02-29")
        #expect(CalendarDate(iso8601: "2023-02-29") == nil)
        #expect(CalendarDate(iso8601: "2024-2-29") == nil)
        #expect(CalendarDate(iso8601: "２０２４-02-29") == nil)
        #expect(CalendarDate(iso8601: "1900-02-29") == nil)
        #expect(CalendarDate(iso8601: "2000-02-29") != nil)
    }

    @Test func orders() {
        #expect(CalendarDate(year: 2024, month: 1, day: 31)! < CalendarDate(year: 2024, month: 2, day: 1)!)
    }
}
