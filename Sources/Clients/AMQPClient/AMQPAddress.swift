import Foundation

/// One broker node to connect to: a host name or IP address and a TCP port.
public struct AMQPAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int = 5672) {
        self.host = host
        self.port = port
    }

    /// Parses a comma-separated list of `host:port` (or `host`, port 5672) entries, e.g.
    /// `10.203.0.11:5672,10.203.0.12:5672`; an IPv6 host is written in brackets (`[::1]:5672`).
    /// Returns `nil` for an empty list or an entry that is not of that form (empty host, port outside
    /// 1…65535, trailing garbage).
    public static func list(_ text: String) -> [AMQPAddress]? {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !entries.isEmpty else { return nil }
        var addresses: [AMQPAddress] = []
        for entry in entries {
            guard let address = parse(entry) else { return nil }
            addresses.append(address)
        }
        return addresses
    }

    private static func parse(_ entry: String) -> AMQPAddress? {
        var host = Substring(entry)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
        } else if let colon = host.lastIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else { return nil }
        var port = 5672
        if let portText {
            guard let value = Int(portText), (1...65_535).contains(value) else { return nil }
            port = value
        }
        return AMQPAddress(host: String(host), port: port)
    }

    /// `host:port`, with an IPv6 host in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
