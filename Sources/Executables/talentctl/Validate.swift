import ArgumentParser
import TalentCore

/// `talentctl validate uscc|ric|mobile VALUE…`: checks identifiers with the code the gateway uses and
/// prints `value<TAB>valid|invalid<TAB>reason` per value (a warning, if any, as the reason of a valid one).
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check unified social credit codes (uscc), resident identity numbers (ric) or mobile numbers.")

    @Argument(help: "uscc (GB 32100-2015), ric (GB 11643-1999) or mobile.")
    var kind: String

    @Argument(help: "Values to check.")
    var values: [String] = []

    func run() throws {
        guard ["uscc", "ric", "mobile"].contains(kind) else {
            throw ValidationError("kind must be uscc, ric or mobile")
        }
        var invalid = 0
        for value in values {
            let (valid, reason) = Self.check(kind: kind, value: value)
            if !valid { invalid += 1 }
            print("\(value)\t\(valid ? "valid" : "invalid")\t\(reason)")
        }
        if invalid > 0 { throw ExitCode(1) }
    }

    /// The verdict and reason for one value.
    static func check(kind: String, value: String) -> (Bool, String) {
        switch kind {
        case "uscc":
            do {
                _ = try UnifiedSocialCreditCode(validating: value)
                return (true, "")
            } catch {
                return (false, error.reason.rawValue)
            }
        case "ric":
            do {
                let number = try ResidentIdentityNumber(validating: value, today: .today())
                return (true, number.regionWarning.map { "warning: \($0)" } ?? "")
            } catch {
                return (false, error.reason.rawValue)
            }
        default:
            do {
                _ = try MobileNumber(validating: value)
                return (true, "")
            } catch {
                return (false, error.reason.rawValue)
            }
        }
    }
}
