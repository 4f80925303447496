import Foundation
import TalentAPI
import TalentClient
import TalentCore
import TalentGateway
import TalentTestSupport

/// Business items put in place the way upstream business systems do: reported through
/// `POST /v1/service/business-items` and applied by the eligibility worker.
enum BusinessItemFixture {
    static func permitSystem() async throws -> GatewayClient {
        try await SharedSystem.instance.get().serviceClient(
            scope: ServiceTokenVerifier.businessItemsScope, name: "permit-system")
    }

    /// Reports an item in progress for the employee of `associationId`; returns its reference.
    @discardableResult
    static func putInProgress(associationId: UUID, service: RestrictedService) async throws -> String {
        let system = try await SharedSystem.instance.get()
        let row = try await system.rows(
            """
            SELECT a.unit_id, p.resident_id FROM associations a JOIN persons p ON p.id = a.person_id WHERE a.id = $1
            """, [associationId.uuidString])
        let unitId = try row.rows[0].requiredString("unit_id")
        let residentId = try row.rows[0].requiredString("resident_id")
        let reference = "T-\(UUID().uuidString.prefix(13))"
        try await report(reference, unitId: unitId, service: service, status: .inProgress, residentId: residentId)
        return reference
    }

    /// Reports item `reference`'s status (now), and waits until it is applied.
    static func report(
        _ reference: String, unitId: String, service: RestrictedService = .workResidencePermit,
        status: BusinessItem.Status, residentId: String? = nil, updatedAt: Date = Date()
    ) async throws {
        let job = try await permitSystem().reportEligibilityInput(
            "/v1/service/business-items",
            json: BusinessItemReport(items: [
                .init(
                    reference: reference, unitId: unitId, service: service, status: status, residentId: residentId,
                    updatedAt: Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(updatedAt))
            ]))
        guard job.status == .succeeded else {
            throw GatewayClient.UnexpectedReply(description: "the report's job ended \(job.status.rawValue)")
        }
    }
}
