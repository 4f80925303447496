import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import Metrics
import NIOCore
import NIOPosix
import Synchronization

/// Where the identity platform publishes its public keys: a JWKS document (RFC 7517 §5).
public enum IdentityKeySource: Sendable, Hashable, CustomStringConvertible {
    /// A local file (a path, or a `file://` URL).
    case file(String)
    /// An `http://` or `https://` URL, fetched with a 5 s timeout.
    case url(String)

    /// `http(s)://…` → ``url(_:)``; `file://…` or anything else → ``file(_:)``.
    public init(_ text: String) {
        if text.hasPrefix("https://") || text.hasPrefix("http://") {
            self = .url(text)
        } else if text.hasPrefix("file://") {
            self = .file(String(text.dropFirst("file://".count)))
        } else {
            self = .file(text)
        }
    }

    public var description: String {
        switch self {
        case .file(let path): path
        case .url(let url): url
        }
    }
}

/// The identity platform's public keys by `kid`, read from a JWKS document and reloaded without a
/// restart (``IdentityKeyRefresher`` every few seconds; at once, at most every
/// ``minimumReloadInterval``, when a token names a `kid` not known yet), so the platform can rotate
/// its keys: a new key is accepted from its first token, a key removed from the document is refused
/// (`token_unknown_key`) from the next reload on.
///
/// Keys are kept only when they name a `kid`, carry no private part, and sign with an algorithm of
/// the allow-list (the JWK's `alg`, else the one its curve implies: P-256 → ES256, P-384 → ES384,
/// P-521 → ES512, Ed25519 → EdDSA, RSA → RS256). A token must use its key's algorithm.
public final class IdentityKeySet: Sendable {
    /// A key with the one algorithm it verifies.
    struct Key: Sendable {
        var algorithm: String
        var keys: JWTKeyCollection
    }

    /// Why a document could not be used.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public let source: IdentityKeySource
    public let algorithms: Set<String>
    /// Fewest seconds between two reloads asked for by unknown `kid`s (tokens cannot force more).
    let minimumReloadInterval: Duration
    let logger: Logger

    private struct State {
        var keys: [String: Key] = [:]
        var lastAttempt: ContinuousClock.Instant?
        /// Reloads started so far; the keys are those of the latest-started reload that finished.
        var started = 0
        var applied = 0
    }
    private let state = Mutex(State())

    /// Largest JWKS document read, in bytes.
    static let maxDocumentBytes = 1 << 20

    /// Every algorithm a key may be accepted with (asymmetric only).
    public static let supportedAlgorithms: Set<String> = ["ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256"]

    /// - Parameters:
    ///   - algorithms: the allow-list; only members of ``supportedAlgorithms`` count.
    ///   - minimumReloadInterval: fewest time between two reloads asked for by unknown `kid`s. Default 5 s.
    public init(
        source: IdentityKeySource, algorithms: Set<String>, minimumReloadInterval: Duration = .seconds(5),
        logger: Logger
    ) {
        self.source = source
        self.minimumReloadInterval = minimumReloadInterval
        self.algorithms = algorithms.intersection(Self.supportedAlgorithms)
        self.logger = logger
    }

    /// The `kid`s known now.
    public var keyIds: Set<String> { state.withLock { Set($0.keys.keys) } }

    /// Reads the document and replaces the keys with its usable ones.
    /// - Returns: how many keys are usable (0: a well-formed document without a usable key is
    ///   authoritative — every token is refused — so the platform can revoke all its keys).
    /// - Throws: ``LoadError`` when the document cannot be read or parsed (the keys stay as they were).
    @discardableResult
    public func reload() async throws -> Int {
        let generation = state.withLock { state in
            state.lastAttempt = .now
            state.started += 1
            return state.started
        }
        let keys: [String: Key]
        do {
            keys = try await Self.parse(try await read(), algorithms: algorithms, logger: logger)
        } catch {
            Counter(label: "talent_gateway_jwks_reloads_total", dimensions: [("outcome", "failed")]).increment()
            throw error
        }
        // A slower reload started earlier never replaces the keys a later one applied.
        let applied = state.withLock { state in
            guard generation > state.applied else { return false }
            state.applied = generation
            state.keys = keys
            return true
        }
        guard applied else { return keys.count }
        if keys.isEmpty {
            logger.warning("the identity platform's JWKS publishes no usable key: every token is refused")
        }
        Counter(label: "talent_gateway_jwks_reloads_total", dimensions: [("outcome", "loaded")]).increment()
        Gauge(label: "talent_gateway_jwks_keys").record(keys.count)
        return keys.count
    }

    /// The key `kid` names; reloads first (at most every ``minimumReloadInterval``) when it is not known.
    func key(kid: String) async -> Key? {
        if let key = state.withLock({ $0.keys[kid] }) { return key }
        // Decided and marked at once: of many tokens naming unknown kids, one reloads.
        let due = state.withLock { state in
            guard state.lastAttempt.map({ ContinuousClock.now - $0 >= minimumReloadInterval }) ?? true else {
                return false
            }
            state.lastAttempt = .now
            return true
        }
        guard due else { return nil }
        do {
            try await reload()
        } catch {
            logger.warning("identity key set reload failed", metadata: ["source": "\(source)", "error": "\(error)"])
        }
        return state.withLock { $0.keys[kid] }
    }

    func read() async throws -> [UInt8] {
        switch source {
        case .file(let path):
            // A blocking read: on NIO's thread pool, not the cooperative pool.
            return try await NIOThreadPool.singleton.runIfActive {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw LoadError(description: "cannot read \(path)")
                }
                guard data.count <= Self.maxDocumentBytes else {
                    throw LoadError(description: "\(path) is larger than \(Self.maxDocumentBytes) bytes")
                }
                return Array(data)
            }
        case .url(let url):
            guard url.hasPrefix("https://") || Self.isLoopback(url) else {
                throw LoadError(description: "\(url): keys are fetched over https (http only from loopback)")
            }
            let response: HTTPClientResponse
            do {
                response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
            } catch {
                throw LoadError(description: "cannot fetch \(url): \(error)")
            }
            guard response.status == .ok else {
                throw LoadError(description: "\(url) answered \(response.status.code)")
            }
            do {
                return Array(buffer: try await response.body.collect(upTo: Self.maxDocumentBytes))
            } catch {
                throw LoadError(description: "cannot read \(url)'s body (at most \(Self.maxDocumentBytes) bytes)")
            }
        }
    }

    /// The usable keys of a JWKS document.
    /// - Throws: ``LoadError`` when it is not a JWKS.
    static func parse(_ document: [UInt8], algorithms: Set<String>, logger: Logger) async throws -> [String: Key] {
        // Each key decoded alone: one of a type JWTKit does not know (`oct`, a new curve) is skipped,
        // not the whole document.
        guard let object = try? JSONSerialization.jsonObject(with: Data(document)) as? [String: Any],
            let members = object["keys"] as? [Any]
        else {
            throw LoadError(description: "not a JWKS document (RFC 7517 §5): no keys array")
        }
        var jwks: [JWK] = []
        for member in members {
            guard let data = try? JSONSerialization.data(withJSONObject: member),
                let jwk = try? JSONDecoder().decode(JWK.self, from: data)
            else {
                logger.warning("JWKS member that is not a usable JWK ignored")
                continue
            }
            jwks.append(jwk)
        }
        var keys: [String: Key] = [:]
        for jwk in jwks {
            guard let kid = jwk.keyIdentifier?.string, !kid.isEmpty else {
                logger.warning("JWKS key without kid ignored")
                continue
            }
            guard jwk.privateExponent == nil else {
                logger.warning("JWKS key with a private part ignored", metadata: ["kid": "\(kid)"])
                continue
            }
            guard let algorithm = Self.algorithm(of: jwk), algorithms.contains(algorithm) else {
                logger.warning("JWKS key with an algorithm outside the allow-list ignored", metadata: ["kid": "\(kid)"])
                continue
            }
            let collection = JWTKeyCollection()
            do {
                try await collection.add(jwk: jwk, isDefault: true)
            } catch {
                logger.warning("JWKS key not usable, ignored", metadata: ["kid": "\(kid)", "error": "\(error)"])
                continue
            }
            keys[kid] = Key(algorithm: algorithm, keys: collection)
        }
        // A well-formed document is authoritative, even without a usable key: that is how the platform
        // revokes every key at once.
        return keys
    }

    /// Whether an `http://` URL names a loopback host (127.0.0.0/8, `::1`, `localhost`).
    static func isLoopback(_ url: String) -> Bool {
        guard let host = URLComponents(string: url)?.host else { return false }
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// The algorithm a key signs with: its `alg`, else the one its curve or type implies.
    static func algorithm(of jwk: JWK) -> String? {
        if let algorithm = jwk.algorithm?.rawValue { return algorithm }
        switch jwk.curve?.rawValue {
        case "P-256": return "ES256"
        case "P-384": return "ES384"
        case "P-521": return "ES512"
        case "Ed25519": return "EdDSA"
        default: return jwk.keyType == .rsa ? "RS256" : nil
        }
    }
}
