/// A token bucket (refilled at ``rate`` tokens per second up to ``capacity``): each request takes one
/// token; without one it is refused and told when the next token comes. Pure: the caller gives the
/// time (seconds on a monotonic clock), so it is tested without waiting.
struct TokenBucket: Sendable, Equatable {
    /// Tokens added per second.
    let rate: Double
    /// Most tokens held: the burst allowed after a quiet time.
    let capacity: Double
    private(set) var tokens: Double
    private(set) var updatedAt: Double

    /// A full bucket at `now`.
    init(rate: Double, capacity: Double, now: Double) {
        self.rate = rate
        self.capacity = max(capacity, 1)
        self.tokens = self.capacity
        self.updatedAt = now
    }

    /// Takes a token at `now`. - Returns: `nil` when taken, else the seconds until one is there.
    mutating func take(now: Double) -> Double? {
        refill(now: now)
        guard tokens < 1 else {
            tokens -= 1
            return nil
        }
        return (1 - tokens) / rate
    }

    /// Whether the bucket would be full at `now` (it then says nothing a new bucket would not).
    func isFull(now: Double) -> Bool {
        tokens + max(now - updatedAt, 0) * rate >= capacity
    }

    private mutating func refill(now: Double) {
        tokens = min(capacity, tokens + max(now - updatedAt, 0) * rate)
        updatedAt = max(updatedAt, now)
    }
}
