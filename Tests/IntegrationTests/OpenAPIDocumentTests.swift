import Foundation
import TalentCore
import TalentGateway
import TalentTestSupport
import Testing

/// schemas/openapi.json stays true: the same operations as the router's table, the same error codes
/// and enumerations as the code.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    static func document() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas/openapi.json")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func schema(_ name: String) throws -> [String: Any] {
        let components = try #require(try document()["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        return try #require(schemas[name] as? [String: Any])
    }

    @Test func operationsMatchTheRouter() throws {
        let document = try Self.document()
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let defaultSecurity = document["security"] as? [[String: Any]] ?? []
        var documented: Set<String> = []
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                let id = try #require(operation["operationId"] as? String)
                let security = operation["security"] as? [[String: Any]] ?? defaultSecurity
                let scheme = security.first?.keys.first ?? "none"
                documented.insert("\(method.uppercased()) \(path) \(id) \(scheme)")
            }
        }
        let routed = Set(
            GatewayOperation.allCases.map { operation in
                let scheme =
                    switch operation.authentication {
                    case .none: "none"
                    case .unit: "unitToken"
                    case .service: "serviceToken"
                    }
                return "\(operation.method.rawValue) \(operation.path) \(operation.rawValue) \(scheme)"
            })
        #expect(documented == routed)
    }

    @Test func enumerationsMatchTheCode() throws {
        #expect(try Self.schema("ErrorCode")["enum"] as? [String] == GatewayError.Code.allCases.map(\.rawValue))
        #expect(try Self.schema("AttachmentKind")["enum"] as? [String] == AttachmentKind.allCases.map(\.rawValue))
        let job = try #require(Self.schema("Job")["properties"] as? [String: Any])
        #expect((job["kind"] as? [String: Any])?["enum"] as? [String] == JobKind.allCases.map(\.rawValue))
        #expect(try Self.schema("PromptKind")["enum"] as? [String] == SystemPrompt.Kind.allCases.map(\.rawValue))
        #expect(try Self.schema("AttachmentReason")["enum"] as? [String] == AttachmentReason.allCases.map(\.rawValue))
        #expect(try Self.schema("AssociationState")["enum"] as? [String] == AssociationState.allCases.map(\.rawValue))
        #expect(try Self.schema("AssociationAction")["enum"] as? [String] == AssociationAction.allCases.map(\.rawValue))
        #expect(
            try Self.schema("EligibilityReasonCode")["enum"] as? [String]
                == EligibilityReason.Code.allCases.map(\.rawValue))
        #expect(try Self.schema("RestrictedService")["enum"] as? [String] == RestrictedService.allCases.map(\.rawValue))
        #expect(
            try Self.schema("BusinessItemStatus")["enum"] as? [String] == BusinessItem.Status.allCases.map(\.rawValue))
        #expect(
            try Self.schema("EligibilityStatus")["enum"] as? [String]
                == EligibilityDecision.Status.allCases.map(\.rawValue))
    }

    /// The response checker the API tests use does find violations.
    @Test func checkerRejectsNonConformingBodies() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas/openapi.json")
        let document = try OpenAPIDocument(url: url)
        #expect(
            document.problems(of: Data(#"{"error":{"code":"not_found","message":"x"}}"#.utf8), against: "Error") == [])
        #expect(
            !document.problems(of: Data(#"{"error":{"code":"nope","message":"x"}}"#.utf8), against: "Error").isEmpty)
        #expect(!document.problems(of: Data(#"{"error":{"code":"not_found"}}"#.utf8), against: "Error").isEmpty)
        #expect(
            !document.problems(
                of: Data(#"{"error":{"code":"not_found","message":"x","sql":"y"}}"#.utf8), against: "Error"
            ).isEmpty)
        #expect(
            !document.problems(
                of: Data(#"{"items":[],"total":"1","limit":1,"offset":0}"#.utf8), against: "AttachmentPage"
            ).isEmpty)
    }
}
