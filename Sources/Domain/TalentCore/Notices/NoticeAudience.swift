/// Who a policy notice (政策法规通知, manual §3) is addressed to: every unit, or the units of some
/// unit types and/or registered districts (PRODUCT.md §2, notice fan-out).
///
/// `nil` for a dimension means "any"; both `nil` is "all units". A unit matches when its type is among
/// ``unitTypes`` and its district among ``districts`` (each when given). A unit whose profile does not
/// name a type or district yet matches only a notice whose audience leaves that dimension open.
public struct NoticeAudience: Sendable, Hashable, Codable {
    /// At most one of each ``UnitType``; `nil`: any type.
    public var unitTypes: [UnitType]?
    /// Codes of ``BeijingDistrict/districts``; `nil`: any district.
    public var districts: [String]?

    public init(unitTypes: [UnitType]? = nil, districts: [String]? = nil) {
        self.unitTypes = unitTypes
        self.districts = districts
    }

    /// Every unit.
    public static let allUnits = NoticeAudience()

    /// Whether the audience is every unit (no filter).
    public var isAllUnits: Bool { unitTypes == nil && districts == nil }

    /// Whether a unit of `unitType` registered in `district` is addressed.
    public func matches(unitType: UnitType?, district: String?) -> Bool {
        if let unitTypes {
            guard let unitType, unitTypes.contains(unitType) else { return false }
        }
        if let districts {
            guard let district, districts.contains(district) else { return false }
        }
        return true
    }

    /// The rules the audience breaks, under `audience.`: an empty list (`empty`: address nobody is no
    /// audience; leave the member out for "any"), a unit type twice (`duplicate`), a district code that is
    /// not one of Beijing's 16 (`invalid_value`).
    public func problems() -> [FieldProblem] {
        var problems = unitTypes.map { Self.listProblems($0, field: "audience.unitTypes", noun: "unit type") } ?? []
        if let districts {
            problems += Self.listProblems(districts, field: "audience.districts", noun: "district")
            for (index, code) in districts.enumerated() where BeijingDistrict.districts[code] == nil {
                problems.append(
                    .init(
                        field: "audience.districts[\(index)]", code: "invalid_value",
                        message: "not a Beijing district code (GB/T 2260 1101xx)"))
            }
        }
        return problems
    }

    /// A dimension's list given but empty (`empty`), or naming a value twice (`duplicate`).
    static func listProblems(_ list: [some Hashable], field: String, noun: String) -> [FieldProblem] {
        if list.isEmpty {
            return [.init(field: field, code: "empty", message: "list no \(noun) or leave it out")]
        }
        if Set(list).count != list.count {
            return [.init(field: field, code: "duplicate", message: "a \(noun) is listed twice")]
        }
        return []
    }
}
