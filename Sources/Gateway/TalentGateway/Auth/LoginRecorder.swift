import Logging
import Synchronization
import TalentStore

/// Records each unit token's first use as a login (PRODUCT.md §1), once per token: tokens already
/// recorded by this process are remembered (at most ``capacity``, then forgotten oldest first) so
/// later requests do not write. A failed write is logged and retried on the token's next request.
final class LoginRecorder: Sendable {
    let store: LoginStore
    /// Tokens remembered at most.
    let capacity = 10_000
    private let seen = Mutex<(set: Set<String>, order: [String])>((set: [], order: []))

    init(store: LoginStore) {
        self.store = store
    }

    func record(token: String, identity: UnitIdentity, logger: Logger) async {
        let digest = SHA256Hex.of(Array(token.utf8))
        guard !seen.withLock({ $0.set.contains(digest) }) else { return }
        do {
            try await store.record(
                tokenSHA256: digest, unitId: identity.unitId, unitName: identity.unitName,
                operatorId: identity.operatorId, loginMethod: identity.loginMethod.rawValue,
                issuedAt: identity.issuedAt)
        } catch {
            logger.warning(
                "could not record the login; retried on the next request",
                metadata: ["error": "\(String(reflecting: error))"])
            return
        }
        seen.withLock { state in
            guard state.set.insert(digest).inserted else { return }
            state.order.append(digest)
            if state.order.count > capacity {
                state.set.remove(state.order.removeFirst())
            }
        }
    }
}
