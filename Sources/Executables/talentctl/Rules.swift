import ArgumentParser
import Foundation
import PostgresClient
import ServiceConfiguration
import TalentCore
import TalentStore

/// `talentctl rules show [--json]`: the current eligibility rule set (manual §4): its version, who
/// published it and when, and per restricted service every rule with the thresholds it applies,
/// district overrides included. `talentctl rules publish FILE`: publishes a rule set (JSON,
/// ``EligibilityRuleSet``) as the next version; decisions change at each unit's next recomputation
/// (any input change, or the next daily sweep: `talentctl eligibility sweep --again` for at once).
struct Rules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or publish the eligibility rule set.", subcommands: [Show.self, Publish.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the current rule set.")

        @Flag(help: "Print the rule set's JSON instead of the table.")
        var json = false

        func run() async throws {
            let (pool, _) = try await Rules.pool()
            defer { pool.shutdown() }
            let (rules, publishedBy, publishedAt) = try await EligibilityStore(pool: pool).currentRuleSet()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(rules), as: UTF8.self))
                return
            }
            print("eligibility rule set version \(rules.version), published \(publishedAt) by \(publishedBy)")
            if let note = rules.note { print(note) }
            for service in rules.services {
                print()
                print("\(service.service.rawValue) (\(service.service.label))")
                print("rule\treason codes\tthreshold")
                let thresholds = service.thresholds
                for rule in EligibilityRules.all {
                    print(
                        "\(rule.name)\t\(rule.codes.map(\.rawValue).joined(separator: ", "))\t\(Self.threshold(rule.name, thresholds))"
                    )
                }
                for override in service.districts ?? [] {
                    let name = BeijingDistrict.districts[override.district] ?? override.district
                    print("  district \(override.district) (\(name)) overrides: \(Self.describe(override.thresholds))")
                }
            }
        }

        static func threshold(_ rule: String, _ thresholds: EligibilityRuleSet.Thresholds) -> String {
            switch rule {
            case "unit_type_eligible":
                thresholds.eligibleUnitTypes.map { "eligibleUnitTypes \($0.map(\.rawValue).joined(separator: ", "))" }
                    ?? "every type"
            case "qualifications_valid":
                ([thresholds.requiresRegistrationCertificate == true ? "the unit type's registration certificate" : nil]
                    + (thresholds.requiredQualifications ?? []).map(\.rawValue)).compactMap { $0 }
                    .joined(separator: ", ").nonEmpty ?? "none required"
            case "changes_filed":
                (thresholds.changeFilingDays ?? 0) > 0
                    ? "changeFilingDays \(thresholds.changeFilingDays ?? 0)" : "not applied to this service"
            case "holder_limit":
                (thresholds.holderLimits ?? []).map { "\($0.unitType.rawValue) \($0.limit)" }.joined(separator: ", ")
                    .nonEmpty ?? "no limit"
            default: "-"
            }
        }

        static func describe(_ thresholds: EligibilityRuleSet.Thresholds) -> String {
            ["unit_type_eligible", "qualifications_valid", "changes_filed", "holder_limit"].compactMap { rule in
                let set: Bool =
                    switch rule {
                    case "unit_type_eligible": thresholds.eligibleUnitTypes != nil
                    case "qualifications_valid":
                        thresholds.requiredQualifications != nil || thresholds.requiresRegistrationCertificate != nil
                    case "changes_filed": thresholds.changeFilingDays != nil
                    default: thresholds.holderLimits != nil
                    }
                return set ? "\(rule): \(threshold(rule, thresholds))" : nil
            }.joined(separator: "; ")
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish a rule set (JSON) as the next version.")

        @Argument(help: "The rule set's JSON file (as `rules show --json` prints it; its version is replaced).")
        var file: String

        @Option(help: "Who publishes it (recorded).")
        var by: String = "talentctl \(ProcessInfo.processInfo.environment["USER"] ?? "operator")"

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            let rules: EligibilityRuleSet
            do {
                rules = try JSONDecoder().decode(EligibilityRuleSet.self, from: data)
            } catch {
                throw ValidationError("\(file) is not a rule set: \(error)")
            }
            let (pool, _) = try await Rules.pool()
            defer { pool.shutdown() }
            do {
                let version = try await EligibilityStore(pool: pool).publish(rules, by: by)
                print("published eligibility rule set version \(version)")
            } catch let error as EligibilityStoreError {
                throw ValidationError(error.description)
            }
        }
    }

    /// A one-connection pool to the configured database, once it answers.
    static func pool() async throws -> (PostgresPool, ServiceEnvironment) {
        let environment = SettingsReader.readOrExit { () throws(SettingError) in try ServiceEnvironment() }
        try await Reachability.require(.postgres, environment: environment)
        return (PostgresPool(configuration: environment.postgres(poolSize: 1)), environment)
    }
}

extension String {
    /// `nil` when empty.
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
