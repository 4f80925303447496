import Foundation
import Hummingbird
import TalentCore

/// JSON request bodies: at most ``maxBodyBytes``, decoded into a form type, every decoding problem
/// answered as `invalid_body` or `invalid_request` naming the field.
enum JSONBody {
    /// Largest JSON body accepted on these routes, in bytes.
    static let maxBodyBytes = 65_536

    /// The decoded body and its bytes (what an idempotency key's request hash covers).
    static func decode<Body: Decodable>(_ type: Body.Type, _ request: Request) async throws -> (Body, [UInt8]) {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            throw GatewayError(.tooLarge, "the body exceeds \(maxBodyBytes) bytes")
        }
        do {
            return (try JSONDecoder().decode(Body.self, from: Data(buffer: buffer)), Array(buffer: buffer))
        } catch let error as DecodingError {
            throw Self.refusal(error)
        } catch {
            throw GatewayError(.invalidBody, "the body is not the expected JSON object")
        }
    }

    /// A decoding error as `invalid_body` (not JSON, not an object) or `invalid_request` naming the field
    /// (`required`, `wrong_type`, `null`, `invalid_value`).
    static func refusal(_ error: DecodingError) -> GatewayError {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            (context.codingPath + (key.map { [$0] } ?? [])).map { key in
                key.intValue.map { "[\($0)]" } ?? "." + key.stringValue
            }.joined().trimmingPrefix(".").description
        }
        let problem: FieldProblem
        switch error {
        case .keyNotFound(let key, let context):
            problem = FieldProblem(field: path(context, key), code: "required", message: "is required")
        case .typeMismatch(_, let context) where context.codingPath.isEmpty:
            return GatewayError(.invalidBody, "the body must be a JSON object")
        case .typeMismatch(_, let context):
            problem = FieldProblem(field: path(context), code: "wrong_type", message: "has the wrong type")
        case .valueNotFound(_, let context):
            problem = FieldProblem(field: path(context), code: "null", message: "must not be null")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return GatewayError(.invalidBody, "the body is not valid JSON")
        case .dataCorrupted(let context):
            problem = FieldProblem(field: path(context), code: "invalid_value", message: context.debugDescription)
        @unknown default:
            return GatewayError(.invalidBody, "the body is not the expected JSON object")
        }
        return .invalidRequest([problem])
    }

}
