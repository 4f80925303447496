import Foundation

/// One field that differs between two profiles: the history row of a profile change (manual §6:
/// modifications are kept with who, when, before → after).
public struct ProfileFieldChange: Sendable, Hashable {
    public var step: ProfileStep
    /// A top-level field of the step (`name`, `items`, …).
    public var field: String
    /// `nil`: the field had no value (or the step was not there).
    public var before: JSONValue?
    public var after: JSONValue?
}

extension UnitProfile {
    /// The fields of every step that differ from `old` (`nil`: no profile before, every given field is
    /// a change), in step order then field name order.
    /// - Throws: `EncodingError` (a value JSON cannot carry, such as a non-finite capital).
    public func changes(from old: UnitProfile?) throws -> [ProfileFieldChange] {
        var changes: [ProfileFieldChange] = []
        for step in ProfileStep.allCases {
            let before = try old.map { try $0.fields(of: step) } ?? [:]
            let after = try fields(of: step)
            for field in Set(before.keys).union(after.keys).sorted() where before[field] != after[field] {
                changes.append(ProfileFieldChange(step: step, field: field, before: before[field], after: after[field]))
            }
        }
        return changes
    }

    /// The step's fields as JSON values (absent fields and `null`s left out).
    func fields(of step: ProfileStep) throws -> [String: JSONValue] {
        let value: (any Encodable)? =
            switch step {
            case .generalInformation: generalInformation
            case .qualifications: qualifications
            case .businessHandler: businessHandler
            case .attachments: attachments
            }
        guard let value else { return [:] }
        let data = try JSONEncoder().encode(value)
        guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: data) else { return [:] }
        return object.filter { $0.value != .null }
    }
}
