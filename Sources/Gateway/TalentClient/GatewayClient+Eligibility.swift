import Foundation
import TalentAPI
import TalentCore

extension GatewayClient {
    /// A reply other than the one expected, with its status and body.
    public struct UnexpectedReply: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    /// `GET /v1/services` (a unit's token).
    /// - Throws: ``UnexpectedReply`` unless `200`.
    public func services() async throws -> ServiceList {
        try expect(200, try await send("GET", "/v1/services")).decode(ServiceList.self)
    }

    /// `GET /v1/business-items` (a unit's token).
    /// - Throws: ``UnexpectedReply`` unless `200`.
    public func businessItemsInProgress() async throws -> BusinessItemsInProgress {
        try expect(200, try await send("GET", "/v1/business-items")).decode(BusinessItemsInProgress.self)
    }

    /// POSTs an eligibility input (`/v1/service/credit-list`, `/v1/service/registration-changes`,
    /// `/v1/service/business-items`; a service token with the scope) and waits for its job.
    /// - Returns: the finished job.
    /// - Throws: ``UnexpectedReply`` unless `202` and the job finished within 60 s.
    public func reportEligibilityInput(_ path: String, json body: some Encodable & Sendable) async throws -> JobRecord {
        let accepted = try expect(202, try await send("POST", path, json: body)).decode(EligibilityJobAccepted.self)
        guard let job = try await finishedJob(accepted.job.id, jobsPath: "/v1/service/jobs/"), job.status != .queued
        else { throw UnexpectedReply(description: "the job of \(path) did not finish within 60 s") }
        return job
    }

    func expect(_ status: Int, _ reply: Reply) throws -> Reply {
        guard reply.status == status else {
            throw UnexpectedReply(
                description: "expected \(status), got \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        return reply
    }
}
