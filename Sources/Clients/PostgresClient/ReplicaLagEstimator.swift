/// How far a streaming replica is behind its primary, in time, from WAL positions sampled on both (no
/// I/O: ``ReplicaMonitor`` feeds it).
///
/// The primary's position (`pg_current_wal_lsn()`) is sampled with the instant it was read; a replica
/// that has replayed up to `R` (`pg_last_wal_replay_lsn()`) holds everything the primary had written
/// at the newest sample whose position is at most `R`. The lag is the time since that sample: an
/// upper bound, exact to one sampling period, and right on an idle primary too (where
/// `now() - pg_last_xact_replay_timestamp()` grows without bound).
public struct ReplicaLagEstimator: Sendable {
    private var primarySamples: [(position: UInt64, at: ContinuousClock.Instant)] = []
    /// Samples kept (oldest dropped first); a replica further behind than the oldest is `beyondHistory`.
    public let capacity: Int
    /// The estimate as of the last replica sample: `nil` until a replica position arrives, and after
    /// ``replicaUnavailable()``.
    public private(set) var lag: Lag?
    /// When the replica's position behind ``lag`` was read.
    private var sampledAt: ContinuousClock.Instant?

    public enum Lag: Sendable, Equatable {
        /// At most this far behind.
        case atMost(Duration)
        /// Behind every kept sample: further behind than the history reaches.
        case beyondHistory
    }

    public init(capacity: Int = 600) {
        self.capacity = max(capacity, 2)
    }

    /// Records the primary's WAL position read at `instant` (non-decreasing instants; on an idle
    /// primary the same position again, which keeps a replica that has it fresh).
    public mutating func primaryPosition(_ position: UInt64, at instant: ContinuousClock.Instant) {
        primarySamples.append((position, instant))
        if primarySamples.count > capacity { primarySamples.removeFirst(primarySamples.count - capacity) }
    }

    /// Records the replica's replayed position read at `instant` and returns the new estimate.
    @discardableResult
    public mutating func replicaReplayed(_ position: UInt64, at instant: ContinuousClock.Instant) -> Lag {
        sampledAt = instant
        guard let held = primarySamples.last(where: { $0.position <= position }) else {
            lag = .beyondHistory
            return .beyondHistory
        }
        let estimate = Lag.atMost(max(.zero, instant - held.at))
        lag = estimate
        return estimate
    }

    /// The replica did not answer: no estimate until it does.
    public mutating func replicaUnavailable() {
        lag = nil
    }

    /// Whether reads may go to the replica at `now`: its lag is known and, grown by the time since it was
    /// sampled (a replica that stopped answering, or a sample that hangs, ages out), at most `bound`.
    public func isFresh(within bound: Duration, at now: ContinuousClock.Instant = .now) -> Bool {
        guard case .atMost(let duration) = lag, let sampledAt else { return false }
        return duration + max(.zero, now - sampledAt) <= bound
    }

    /// Parses PostgreSQL's text form of a WAL position (`pg_lsn`, `16/B374D848`: two hexadecimal halves).
    /// - Returns: `nil` for any other text.
    public static func position(_ text: String) -> UInt64? {
        let halves = text.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, halves.allSatisfy({ (1...8).contains($0.count) }),
            let high = UInt64(halves[0], radix: 16), let low = UInt64(halves[1], radix: 16)
        else { return nil }
        return high << 32 | low
    }
}
