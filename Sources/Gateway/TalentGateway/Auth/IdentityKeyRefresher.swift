import Logging
import ServiceLifecycle

/// Reloads the identity platform's key set every ``intervalSeconds`` until shutdown (a
/// swift-service-lifecycle service beside the HTTP server). A failed reload keeps the keys it had
/// and is logged and counted (`talent_gateway_jwks_reloads_total{outcome="failed"}`).
public struct IdentityKeyRefresher: Service {
    let keys: IdentityKeySet
    let intervalSeconds: Int
    let logger: Logger

    public init(keys: IdentityKeySet, intervalSeconds: Int, logger: Logger) {
        self.keys = keys
        self.intervalSeconds = intervalSeconds
        self.logger = logger
    }

    public func run() async throws {
        let (keys, seconds, logger) = (self.keys, max(intervalSeconds, 1), self.logger)
        await cancelWhenGracefulShutdown {
            var known = keys.keyIds
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(seconds))
                guard !Task.isCancelled else { return }
                do {
                    try await keys.reload()
                    let now = keys.keyIds
                    if now != known {
                        logger.info(
                            "identity keys changed",
                            metadata: [
                                "added": "\(now.subtracting(known).sorted())",
                                "removed": "\(known.subtracting(now).sorted())",
                            ])
                        known = now
                    }
                } catch {
                    logger.warning(
                        "identity key set reload failed; the keys stay as they were",
                        metadata: ["source": "\(keys.source)", "error": "\(error)"])
                }
            }
        }
    }
}
