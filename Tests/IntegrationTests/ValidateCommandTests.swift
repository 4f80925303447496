import Foundation
import TalentTestSupport
import Testing

/// `talentctl validate` prints `value<TAB>valid|invalid<TAB>reason` with the gateway's rules and exits
/// 1 when a value is invalid.
@Suite("talentctl validate")
struct ValidateCommandTests {
    static func run(_ arguments: [String]) async throws -> (status: Int32, lines: [String]) {
        let environment = try TestEnvironment.current()
        let output = environment.runDirectory.appendingPathComponent("validate-\(UUID().uuidString).txt").path
        let pid = try ChildProcess.spawn(
            environment.binDirectory.appendingPathComponent("talentctl").path, ["validate"] + arguments, output: output)
        let status = ChildProcess.exitCode(await ChildProcess.wait(pid))
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return (status, text.split(separator: "\n").map(String.init))
    }

    @Test func residentIdentityNumbers() async throws {
        let result = try await Self.run([
            "ric", "11010519491231002X", "11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ", "990101199005170116",
            "110105203001010021",
        ])
        #expect(result.status == 1)
        #expect(result.lines.count == 5)
        #expect(result.lines[0] == "11010519491231002X\tvalid\t")
        #expect(result.lines[1] == "11010519491231002x\tinvalid\tinvalid_character")
        #expect(result.lines[2].hasSuffix("\tinvalid\tinvalid_character"))
        #expect(result.lines[3].hasPrefix("990101199005170116\tvalid\twarning: "))
        #expect(result.lines[4] == "110105203001010021\tinvalid\tbirth_date_in_future")
    }

    @Test func creditCodesAndMobiles() async throws {
        let codes = try await Self.run(["uscc", "91350100M000100Y43", "91350100m000100y43", "91350100M000100Y44"])
        #expect(
            codes.lines == [
                "91350100M000100Y43\tvalid\t", "91350100m000100y43\tinvalid\tinvalid_character",
                "91350100M000100Y44\tinvalid\tcheck_character_mismatch",
            ])
        let mobiles = try await Self.run(["mobile", "+8613800138000", "１３８００１３８０００", "23800138000"])
        #expect(
            mobiles.lines == [
                "+8613800138000\tvalid\t", "１３８００１３８０００\tinvalid\tinvalid_character",
                "23800138000\tinvalid\tmust_start_with_1",
            ])
        let valid = try await Self.run(["mobile", "13800138000"])
        #expect(valid.status == 0)
    }
}
