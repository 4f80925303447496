import Metrics
import Synchronization

/// Fair admission per caller: every authenticated request of a unit, or of a service, takes a token
/// from that caller's ``TokenBucket``; a caller out of tokens is answered `429 rate_limited` with
/// `Retry-After`, and other callers are not slowed by it.
///
/// Buckets live in this process (each gateway replica keeps its own: the budget per replica). Idle
/// buckets are forgotten once more than ``maximumTracked`` callers are known (a full bucket equals a
/// new one), so memory stays bounded.
final class RequestBudgets: Sendable {
    /// A budget: `ratePerSecond` sustained, `burst` at once; a rate of 0 admits everything.
    struct Budget: Sendable, Hashable {
        var ratePerSecond: Double
        var burst: Int

        init(ratePerSecond: Double, burst: Int) {
            self.ratePerSecond = ratePerSecond
            self.burst = burst
        }

        static let unlimited = Budget(ratePerSecond: 0, burst: 0)
    }

    let unitBudget: Budget
    let serviceBudget: Budget
    let maximumTracked: Int
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init(unit: Budget, service: Budget, maximumTracked: Int = 100_000) {
        unitBudget = unit
        serviceBudget = service
        self.maximumTracked = maximumTracked
        start = clock.now
    }

    /// Takes a token for `caller` (`unit:…` or `service:…`).
    /// - Throws: ``GatewayError`` `rate_limited` (429) with the whole seconds until a token is there.
    func admit(_ caller: String, now: Double? = nil) throws(GatewayError) {
        let service = caller.hasPrefix("service:")
        let budget = service ? serviceBudget : unitBudget
        guard budget.ratePerSecond > 0 else { return }
        let time = now ?? seconds(since: start)
        let wait = buckets.withLock { buckets -> Double? in
            if buckets.count >= maximumTracked {
                buckets = buckets.filter { !$0.value.isFull(now: time) }
            }
            var bucket =
                buckets[caller]
                ?? TokenBucket(rate: budget.ratePerSecond, capacity: Double(budget.burst), now: time)
            let wait = bucket.take(now: time)
            buckets[caller] = bucket
            return wait
        }
        guard let wait else { return }
        Counter(
            label: "talent_gateway_requests_rate_limited_total", dimensions: [("realm", service ? "service" : "unit")]
        )
        .increment()
        throw GatewayError(
            .rateLimited, "this \(service ? "service" : "unit") is over its request budget; retry later",
            retryAfterSeconds: max(1, Int(wait.rounded(.up))))
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = start.duration(to: clock.now).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }
}
