import Foundation
import Hummingbird

/// Typed reads of query and path parameters, failing with ``GatewayError`` codes.
extension Request {
    func requiredQuery(_ name: String) throws(GatewayError) -> String {
        guard let value = uri.queryParameters[Substring(name)], !value.isEmpty else {
            throw GatewayError(.missingParameter, "query parameter \(name) is required")
        }
        return String(value)
    }

    /// The parameter's value when present, `""` included.
    func optionalQuery(_ name: String) -> String? {
        uri.queryParameters[Substring(name)].map(String.init)
    }

    func integerQuery(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(GatewayError) -> Int {
        guard let text = optionalQuery(name) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw GatewayError(
                .invalidParameter, "\(name) must be an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }
}

extension GatewayRequestContext {
    func uuidParameter(_ name: String) throws(GatewayError) -> UUID {
        guard let text = parameters.get(name), let value = UUID(uuidString: text) else {
            throw GatewayError(.invalidParameter, "\(name) must be a UUID")
        }
        return value
    }
}
