/// The state of an employee's association with a unit (manual §5; PRODUCT.md §4):
/// `pending → active | rejected`, `active → unlinked`. `rejected` and `unlinked` are final.
public enum AssociationState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Requested by the employee, waiting for the unit (待确认).
    case pending
    /// Approved: the person is a current employee (在职).
    case active
    case rejected
    /// The unit ended the association (解除关联).
    case unlinked
}

/// What a unit (or, for `request`, the employee through the personal-edition portal) does to an
/// association.
public enum AssociationAction: String, Sendable, Hashable, Codable, CaseIterable {
    case request
    case approve
    case reject
    case unlink
    case updatePosition = "update_position"
}

/// The transition rules, with no I/O.
public enum AssociationStateMachine {
    /// The state `action` leads to from `state` (`nil` for a request: the association does not exist yet).
    /// - Throws: ``AssociationRefusal`` with `not_pending` (approve/reject a decided request),
    ///   `not_active` (unlink or update a non-current employee), `already_exists` (a request while one is
    ///   pending or active).
    public static func next(from state: AssociationState?, on action: AssociationAction) throws(AssociationRefusal)
        -> AssociationState
    {
        switch (action, state) {
        case (.request, nil), (.request, .rejected?), (.request, .unlinked?):
            return .pending
        case (.request, let current?):
            throw AssociationRefusal(.alreadyExists, "an association is already \(current.rawValue)")
        case (.approve, .pending?): return .active
        case (.reject, .pending?): return .rejected
        case (.approve, let current), (.reject, let current):
            throw AssociationRefusal(
                .notPending, "the request is no longer pending (it is \(current?.rawValue ?? "missing"))")
        case (.unlink, .active?): return .unlinked
        case (.updatePosition, .active?): return .active
        case (.unlink, let current), (.updatePosition, let current):
            throw AssociationRefusal(
                .notActive,
                "the person is not a current employee (the association is \(current?.rawValue ?? "missing"))")
        }
    }
}

/// Why a change to an association is refused. Recorded on the job (`failed`, `error_code` = ``code``)
/// by the worker, or answered by the gateway when it can tell at once.
public struct AssociationRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case notPending = "not_pending"
        case notActive = "not_active"
        case alreadyExists = "already_exists"
        case unlinkBlocked = "unlink_blocked"
        case invalidForm = "invalid_form"
        /// The association does not exist or belongs to another unit (indistinguishable on purpose).
        case notFound = "not_found"
        /// The unit's association code is not usable yet: its profile is not complete (manual §2).
        case unitProfileIncomplete = "unit_profile_incomplete"
    }

    public var code: Code
    public var detail: String
    /// For `unlink_blocked`: every reason.
    public var reasons: [UnlinkReason]

    public init(_ code: Code, _ detail: String, reasons: [UnlinkReason] = []) {
        self.code = code
        self.detail = detail
        self.reasons = reasons
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}
