import Foundation

/// A business item (业务事项, manual §7): one application of a unit in a restricted service's own
/// system, reported by that upstream business system. The unit's in-progress list shows the items
/// still ``Status/inProgress``; the unlink pre-check (manual §5) refuses to unlink an employee with one;
/// approved work residence permits count towards the unit's holder limit (``EligibilityRules``).
public struct BusinessItem: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// 办理中.
        case inProgress = "in_progress"
        /// 已通过.
        case approved
        /// 未通过.
        case refused
        /// 已撤回.
        case withdrawn

        /// Chinese label.
        public var label: String {
            switch self {
            case .inProgress: "办理中"
            case .approved: "已通过"
            case .refused: "未通过"
            case .withdrawn: "已撤回"
            }
        }
    }

    /// The upstream system's own id of the item, 1–64 printable ASCII characters; unique per
    /// reporting service.
    public var reference: String
    public var unitId: UnifiedSocialCreditCode
    public var service: RestrictedService
    public var status: Status
    /// The employee the item is for, by resident identity number (GB 11643-1999); `nil`: the unit's own.
    public var residentId: String?
    /// Shown in the in-progress list, at most 100 characters.
    public var title: String?
    /// When the upstream system reached this status. A report older than the stored one is ignored, so
    /// reports arriving out of order leave the newest status.
    public var updatedAt: Date

    public init(
        reference: String, unitId: UnifiedSocialCreditCode, service: RestrictedService, status: Status,
        residentId: String? = nil, title: String? = nil, updatedAt: Date
    ) {
        self.reference = reference
        self.unitId = unitId
        self.service = service
        self.status = status
        self.residentId = residentId
        self.title = title
        self.updatedAt = updatedAt
    }

    /// What is wrong with the report: an empty or too long reference, a title that is empty, longer
    /// than 100 characters or holds control characters, a resident id that is not a valid GB 11643-1999
    /// number (as of `today`). The field names are relative to the item.
    public func problems(today: CalendarDate) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if reference.isEmpty || reference.utf8.count > 64 || !reference.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        {
            problems.append(
                FieldProblem(
                    field: "reference", code: "invalid_value", message: "1–64 printable ASCII characters, no spaces"))
        }
        if let title { problems += FormText.problems(title, field: "title", maxLength: 100) }
        if let residentId, (try? ResidentIdentityNumber(validating: residentId, today: today)) == nil {
            problems.append(
                FieldProblem(
                    field: "residentId", code: "invalid_resident_id", message: "not a valid resident identity number"))
        }
        return problems
    }
}
