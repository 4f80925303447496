import Foundation
import Testing

@testable import TalentCore

@Suite("Job messages")
struct JobMessageCodecTests {
    let job = AttachmentValidationJob(
        jobId: UUID(), unitId: UnifiedSocialCreditCode.make(organisationBody: "MA01DEMQ")!, attachmentId: UUID(),
        requestedAt: Date(timeIntervalSince1970: 1_800_000_000))

    @Test func roundTrips() throws {
        let decoded = try JobMessageCodec.decodeAttachmentValidation(try JobMessageCodec.encode(job))
        #expect(decoded == job)
    }

    @Test func refusesUnknownSchemaVersion() throws {
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(try JobMessageCodec.encode(job))) as? [String: Any])
        object["schemaVersion"] = 99
        let body = Array(try JSONSerialization.data(withJSONObject: object))
        #expect(throws: JobMessageCodec.DecodeError.self) { try JobMessageCodec.decodeAttachmentValidation(body) }
        do {
            _ = try JobMessageCodec.decodeAttachmentValidation(body)
        } catch {
            #expect(error.code == .unknownSchemaVersion)
        }
    }

    @Test(arguments: ["", "not json", "[1,2]", #"{"schemaVersion":1}"#, #"{"schemaVersion":1,"unitId":"x"}"#])
    func refusesMalformedBodies(body: String) {
        #expect(throws: JobMessageCodec.DecodeError.self) {
            try JobMessageCodec.decodeAttachmentValidation(Array(body.utf8))
        }
    }

    @Test func refusesOversizeBodiesWithoutParsing() {
        let body = [UInt8](repeating: 0x7b, count: JobMessageCodec.maxBodyBytes + 1)
        do {
            _ = try JobMessageCodec.decodeAttachmentValidation(body)
            Issue.record("an oversize body decoded")
        } catch {
            #expect(error.code == .tooLarge)
        }
    }

    /// No message is encoded that no worker would read; the largest eligibility reports fit.
    @Test func refusesToEncodeOversizeMessages() throws {
        let unit = UnifiedSocialCreditCode.make(organisationBody: "MA01DEMQ")!
        func items(_ count: Int) -> [BusinessItem] {
            (0..<count).map { index in
                BusinessItem(
                    reference: String(repeating: "R", count: 60) + String(format: "%04d", index), unitId: unit,
                    service: .workResidencePermit, status: .inProgress, residentId: "11010519491231002X",
                    title: String(repeating: "业", count: 100), updatedAt: Date())
            }
        }
        func job(_ items: [BusinessItem]) -> EligibilityJob {
            EligibilityJob(
                jobId: UUID(), action: .businessItems, actor: "service:" + String(repeating: "s", count: 64),
                requestedAt: Date(), items: items)
        }
        #expect(
            try JobMessageCodec.encode(job(items(EligibilityJob.maximumItems))).count <= JobMessageCodec.maxBodyBytes)
        #expect(throws: JobMessageCodec.EncodeError.self) { try JobMessageCodec.encode(job(items(200))) }
        let codes = Array(repeating: unit, count: EligibilityJob.maximumEntries)
        let credit = EligibilityJob(
            jobId: UUID(), action: .creditList, actor: "service:credit", requestedAt: Date(), added: codes,
            reason: String(repeating: "因", count: 200))
        #expect(try JobMessageCodec.encode(credit).count <= JobMessageCodec.maxBodyBytes)
        let changes = EligibilityJob(
            jobId: UUID(), action: .registrationChanges, actor: "service:registry", requestedAt: Date(),
            changes: Array(
                repeating: RegistrationChange(unitId: unit, changedOn: CalendarDate(year: 2026, month: 1, day: 1)!),
                count: EligibilityJob.maximumEntries))
        #expect(try JobMessageCodec.encode(changes).count <= JobMessageCodec.maxBodyBytes)
    }

    @Test func envelopeCarriesTheEncodedJob() throws {
        let envelope = try JobEnvelope(job)
        #expect(envelope.kind == .attachmentValidation)
        #expect(envelope.messageId == job.jobId.uuidString.lowercased())
        #expect(try JobMessageCodec.decodeAttachmentValidation(envelope.body) == job)
    }

    /// The JSON Schema in schemas/jobs names exactly the keys the encoder writes.
    @Test func schemaMatchesEncodedKeys() throws {
        let schemaURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas/jobs/attachment.validation.v1.schema.json")
        let schema = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: schemaURL)) as? [String: Any])
        let properties = try #require(schema["properties"] as? [String: Any])
        let required = try #require(schema["required"] as? [String])
        let encoded = try #require(
            try JSONSerialization.jsonObject(with: Data(try JobMessageCodec.encode(job))) as? [String: Any])
        #expect(Set(properties.keys) == Set(encoded.keys))
        #expect(Set(required) == Set(encoded.keys))
        let version = try #require(properties["schemaVersion"] as? [String: Any])
        #expect(version["const"] as? Int == AttachmentValidationJob.currentSchemaVersion)
    }
}
