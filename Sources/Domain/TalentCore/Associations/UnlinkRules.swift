/// One reason an employee cannot be unlinked now (manual §5: "the system first checks whether the
/// employee may be unlinked and, if not, says why").
public struct UnlinkReason: Sendable, Hashable, Codable {
    public enum Code: String, Sendable, Hashable, Codable {
        /// The association is not active (pending, rejected or already unlinked).
        case notActive = "not_active"
        /// A business application for this employee (work residence permit, talent introduction) is
        /// in progress with the unit.
        case applicationInProgress = "application_in_progress"
        /// Another change to this association (position update, unlink) is queued and not finished.
        case changeInProgress = "change_in_progress"
    }

    public var code: Code
    public var detail: String

    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }
}

/// What the unlink pre-check looks at, gathered by the store.
public struct UnlinkFacts: Sendable, Hashable {
    public var state: AssociationState
    /// Services with an application in progress for the employee at this unit (e.g. `work_residence_permit`).
    public var applicationsInProgress: [String]
    /// Association-decision jobs for this association still queued, other than the one being applied.
    public var changesInProgress: Int
    /// The employee's entry date (the leave date may not be earlier); `nil` before an approval.
    public var entryDate: CalendarDate?

    public init(
        state: AssociationState, applicationsInProgress: [String], changesInProgress: Int,
        entryDate: CalendarDate? = nil
    ) {
        self.state = state
        self.applicationsInProgress = applicationsInProgress
        self.changesInProgress = changesInProgress
        self.entryDate = entryDate
    }
}

/// The unlink rules: every reason that blocks it (empty = allowed).
public enum UnlinkRules {
    public static func reasons(_ facts: UnlinkFacts) -> [UnlinkReason] {
        var reasons: [UnlinkReason] = []
        if facts.state != .active {
            reasons.append(UnlinkReason(code: .notActive, detail: "the association is \(facts.state.rawValue)"))
        }
        for service in facts.applicationsInProgress.sorted() {
            reasons.append(
                UnlinkReason(
                    code: .applicationInProgress, detail: "an application for \(service) is in progress"))
        }
        if facts.changesInProgress > 0 {
            reasons.append(
                UnlinkReason(
                    code: .changeInProgress,
                    detail: "\(facts.changesInProgress) other change(s) to this employee are still being processed"))
        }
        return reasons
    }
}
