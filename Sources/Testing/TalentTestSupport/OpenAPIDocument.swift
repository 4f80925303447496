import Foundation

/// schemas/openapi.json, and a checker of response bodies against its component schemas (the subset
/// of JSON Schema the document uses: `$ref`, `type`, `required`, `properties`, `additionalProperties`,
/// `items`, `enum`, `const`, `pattern`, `minimum`, `maximum`).
public struct OpenAPIDocument: @unchecked Sendable {
    // Invariant: `root` is parsed once in `init` and never mutated afterwards.
    public let root: [String: Any]

    public init(url: URL) throws {
        guard let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        self.root = root
    }

    /// The problems of `body` (JSON) against `components.schemas.<name>`; empty when it conforms.
    public func problems(of body: Data, against name: String) -> [String] {
        guard let value = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            return ["body is not JSON"]
        }
        return problems(of: value, against: ["$ref": "#/components/schemas/\(name)"], at: name)
    }

    func resolve(_ reference: String) -> [String: Any]? {
        var node: Any = root
        for part in reference.dropFirst(2).split(separator: "/") {
            guard let object = node as? [String: Any], let next = object[String(part)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    func problems(of value: Any, against schema: [String: Any], at path: String) -> [String] {
        if let reference = schema["$ref"] as? String {
            guard let target = resolve(reference) else { return ["\(path): unresolved \(reference)"] }
            return problems(of: value, against: target, at: path)
        }
        var found: [String] = []
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { "\($0)" == "\(value)" }) {
            found.append("\(path): \(value) not in \(allowed)")
        }
        if let constant = schema["const"], "\(constant)" != "\(value)" {
            found.append("\(path): \(value) is not \(constant)")
        }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return found + ["\(path): not an object"] }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                found.append("\(path): missing required \(key)")
            }
            for (key, member) in object {
                if let property = properties[key] as? [String: Any] {
                    found += problems(of: member, against: property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    found += problems(of: member, against: additional, at: "\(path).\(key)")
                } else if properties.isEmpty == false || (schema["additionalProperties"] as? Bool) == false {
                    found.append("\(path): undocumented property \(key)")
                }
            }
        case "array":
            guard let array = value as? [Any] else { return found + ["\(path): not an array"] }
            if let items = schema["items"] as? [String: Any] {
                for (index, item) in array.enumerated() {
                    found += problems(of: item, against: items, at: "\(path)[\(index)]")
                }
            }
        case "string":
            guard let string = value as? String else { return found + ["\(path): not a string"] }
            if let pattern = schema["pattern"] as? String, string.range(of: pattern, options: .regularExpression) == nil
            {
                found.append("\(path): \(string) does not match \(pattern)")
            }
        case "integer":
            guard let number = value as? NSNumber, number.doubleValue.rounded() == number.doubleValue
            else { return found + ["\(path): not an integer"] }
            if let minimum = schema["minimum"] as? Double, number.doubleValue < minimum {
                found.append("\(path): below minimum")
            }
            if let maximum = schema["maximum"] as? Double, number.doubleValue > maximum {
                found.append("\(path): above maximum")
            }
        default:
            break
        }
        return found
    }
}
