import Foundation
import TalentCore

/// Filters of the pending-request and employee lists; `nil` means "all" (manual §5).
public struct AssociationFilter: Sendable, Hashable {
    /// Part of the name (case-insensitive).
    public var name: String?
    /// The resident identity number, or its beginning.
    public var residentId: String?
    /// Request date (pending list) or entry date (employee list) range, inclusive.
    public var from: CalendarDate?
    public var to: CalendarDate?
    /// Part of the position (employee list).
    public var position: String?
    public var sex: Sex?

    public init(
        name: String? = nil, residentId: String? = nil, from: CalendarDate? = nil, to: CalendarDate? = nil,
        position: String? = nil, sex: Sex? = nil
    ) {
        self.name = name
        self.residentId = residentId
        self.from = from
        self.to = to
        self.position = position
        self.sex = sex
    }
}
