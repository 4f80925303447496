import Foundation

/// The message of an association-decision job (queue `association.decision`): one change to one
/// association, acting for one unit.
///
/// JSON, UTF-8, camelCase keys, schema `schemas/jobs/association.decision.v1.schema.json`. Exactly the
/// form matching ``action`` is present: `request` → ``request``, `approve` → ``approval``, `reject` →
/// ``rejection``, `unlink` → ``unlink``, `update_position` → ``position``.
public struct AssociationDecisionJob: UnitJobMessage, Hashable {
    public static let currentSchemaVersion = 1
    public static let kind = JobKind.associationDecision

    public var schemaVersion: Int
    public var jobId: UUID
    /// The acting unit; the worker re-checks that the association belongs to it.
    public var unitId: UnifiedSocialCreditCode
    /// The association changed (for `request`: the id the new association gets).
    public var associationId: UUID
    public var action: AssociationAction
    /// Who acted: the unit's operator (token subject), or the requesting service.
    public var actor: String
    public var requestedAt: Date
    public var request: PersonProfile?
    public var approval: ApprovalForm?
    public var rejection: RejectionForm?
    public var unlink: UnlinkForm?
    public var position: PositionUpdateForm?

    public init(
        jobId: UUID, unitId: UnifiedSocialCreditCode, associationId: UUID, actor: String, requestedAt: Date,
        decision: AssociationDecision
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.jobId = jobId
        self.unitId = unitId
        self.associationId = associationId
        self.actor = actor
        self.requestedAt = requestedAt
        self.action = decision.action
        switch decision {
        case .request(let profile): request = profile
        case .approve(let form): approval = form
        case .reject(let form): rejection = form
        case .unlink(let form): unlink = form
        case .updatePosition(let form): position = form
        }
    }

    /// The decision with its form, or `nil` when the form for ``action`` is missing.
    public var decision: AssociationDecision? {
        switch action {
        case .request: request.map(AssociationDecision.request)
        case .approve: approval.map(AssociationDecision.approve)
        case .reject: rejection.map(AssociationDecision.reject)
        case .unlink: unlink.map(AssociationDecision.unlink)
        case .updatePosition: position.map(AssociationDecision.updatePosition)
        }
    }
}

/// A change to an association with its form.
public enum AssociationDecision: Sendable, Hashable {
    case request(PersonProfile)
    case approve(ApprovalForm)
    case reject(RejectionForm)
    case unlink(UnlinkForm)
    case updatePosition(PositionUpdateForm)

    public var action: AssociationAction {
        switch self {
        case .request: .request
        case .approve: .approve
        case .reject: .reject
        case .unlink: .unlink
        case .updatePosition: .updatePosition
        }
    }
}
