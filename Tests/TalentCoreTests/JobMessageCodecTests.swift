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
