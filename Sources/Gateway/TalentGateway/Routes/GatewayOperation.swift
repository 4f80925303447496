import HTTPTypes

/// Every operation the gateway serves: method, path (OpenAPI template syntax, which Hummingbird
/// also routes), `operationId` in schemas/openapi.json, and whether it needs a unit token. The
/// router is built from this table and a test compares it with the OpenAPI document.
public enum GatewayOperation: String, CaseIterable, Sendable {
    case getLiveness
    case getReadiness
    case getMetrics
    case uploadAttachment
    case listAttachments
    case getAttachment
    case deleteAttachment
    case getJob
    case getEmployeeSummary
    case listAssociationRequests
    case approveAssociationRequest
    case rejectAssociationRequest
    case listEmployees
    case getEmployee
    case updateEmployeePosition
    case checkEmployeeUnlink
    case unlinkEmployee
    case submitAssociationRequest
    case getServiceJob
    case getUnit
    case getUnitProfile
    case getProfileDraft
    case saveGeneralInformation
    case saveQualifications
    case saveBusinessHandler
    case saveProfileAttachments
    case previewProfile
    case submitProfile
    case listProfileChanges
    case updateHandler
    case publishNotice
    case getNotice
    case withdrawNotice
    case getHome
    case listNotices
    case listPrompts
    case markRead
    case updateCreditList
    case reportRegistrationChanges
    case reportBusinessItems
    case listServices
    case listBusinessItems

    public var method: HTTPRequest.Method {
        switch self {
        case .uploadAttachment, .approveAssociationRequest, .rejectAssociationRequest, .unlinkEmployee,
            .submitAssociationRequest, .submitProfile, .publishNotice, .withdrawNotice, .markRead,
            .updateCreditList, .reportRegistrationChanges, .reportBusinessItems:
            .post
        case .deleteAttachment: .delete
        case .updateEmployeePosition, .saveGeneralInformation, .saveQualifications, .saveBusinessHandler,
            .saveProfileAttachments, .updateHandler:
            .put
        default: .get
        }
    }

    public var path: String {
        switch self {
        case .getLiveness: "/health/live"
        case .getReadiness: "/health/ready"
        case .getMetrics: "/metrics"
        case .uploadAttachment, .listAttachments: "/v1/attachments"
        case .getAttachment, .deleteAttachment: "/v1/attachments/{attachmentId}"
        case .getJob: "/v1/jobs/{jobId}"
        case .getEmployeeSummary: "/v1/employee-summary"
        case .listAssociationRequests: "/v1/association-requests"
        case .approveAssociationRequest: "/v1/association-requests/{associationId}/approval"
        case .rejectAssociationRequest: "/v1/association-requests/{associationId}/rejection"
        case .listEmployees: "/v1/employees"
        case .getEmployee: "/v1/employees/{associationId}"
        case .updateEmployeePosition: "/v1/employees/{associationId}/position"
        case .checkEmployeeUnlink: "/v1/employees/{associationId}/unlink-check"
        case .unlinkEmployee: "/v1/employees/{associationId}/unlink"
        case .submitAssociationRequest: "/v1/service/association-requests"
        case .getServiceJob: "/v1/service/jobs/{jobId}"
        case .getUnit: "/v1/unit"
        case .getUnitProfile: "/v1/unit/profile"
        case .getProfileDraft: "/v1/unit/profile/draft"
        case .saveGeneralInformation: "/v1/unit/profile/draft/general-information"
        case .saveQualifications: "/v1/unit/profile/draft/qualifications"
        case .saveBusinessHandler: "/v1/unit/profile/draft/business-handler"
        case .saveProfileAttachments: "/v1/unit/profile/draft/attachments"
        case .previewProfile: "/v1/unit/profile/preview"
        case .submitProfile: "/v1/unit/profile/submission"
        case .listProfileChanges: "/v1/unit/profile/changes"
        case .updateHandler: "/v1/unit/handler"
        case .publishNotice: "/v1/service/notices"
        case .getNotice: "/v1/service/notices/{noticeId}"
        case .withdrawNotice: "/v1/service/notices/{noticeId}/withdrawal"
        case .getHome: "/v1/home"
        case .listNotices: "/v1/notices"
        case .listPrompts: "/v1/prompts"
        case .markRead: "/v1/read-marks"
        case .updateCreditList: "/v1/service/credit-list"
        case .reportRegistrationChanges: "/v1/service/registration-changes"
        case .reportBusinessItems: "/v1/service/business-items"
        case .listServices: "/v1/services"
        case .listBusinessItems: "/v1/business-items"
        }
    }

    /// Who may call an operation.
    public enum Authentication: Sendable {
        case none
        /// A unit's identity assertion (``TokenVerifier``).
        case unit
        /// A service token (``ServiceTokenVerifier``) with `scope` (`nil`: any scope).
        case service(scope: String?)
    }

    public var authentication: Authentication {
        switch self {
        case .getLiveness, .getReadiness, .getMetrics: .none
        case .submitAssociationRequest: .service(scope: ServiceTokenVerifier.associationRequestsScope)
        case .getServiceJob: .service(scope: nil)
        case .publishNotice, .getNotice, .withdrawNotice: .service(scope: ServiceTokenVerifier.noticesScope)
        case .updateCreditList: .service(scope: ServiceTokenVerifier.creditListScope)
        case .reportRegistrationChanges: .service(scope: ServiceTokenVerifier.registrationChangesScope)
        case .reportBusinessItems: .service(scope: ServiceTokenVerifier.businessItemsScope)
        default: .unit
        }
    }

    public var requiresUnitToken: Bool {
        if case .unit = authentication { return true }
        return false
    }

    /// The methods served on `path` (a concrete request path), empty when no operation's template
    /// matches it; a `{parameter}` segment matches any one segment.
    public static func methods(matching path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return allCases.filter { operation in
            let template = operation.path.split(separator: "/", omittingEmptySubsequences: true)
            return template.count == segments.count
                && zip(template, segments).allSatisfy { $0.first == "{" || $0 == $1 }
        }.map(\.method)
    }
}
