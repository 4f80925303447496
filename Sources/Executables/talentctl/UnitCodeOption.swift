import ArgumentParser
import TalentCore

/// `--unit` options are checked when the command line is parsed: a code that fails GB 32100-2015 is
/// refused at once (exit 64 with the reason), never sent to the gateway to fail on every request.
enum UnitCodeOption {
    /// - Throws: `ValidationError` naming the code and the reason.
    static func validate(_ value: String?) throws {
        guard let value else { return }
        do {
            _ = try UnifiedSocialCreditCode(validating: value)
        } catch {
            throw ValidationError(
                "--unit \(value) is not a unified social credit code (GB 32100-2015): \(error.reason.rawValue)")
        }
    }
}
