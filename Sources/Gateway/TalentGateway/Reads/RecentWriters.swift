import Synchronization
import TalentCore

/// The units this gateway accepted a write or a job for within the last `window`: their reads that may
/// lag go to the primary, so a unit sees its own recent changes (read-your-writes) even while the
/// replica is behind. Kept in memory per gateway process (behind several gateways, a unit's next
/// request may reach one that did not see its write), from the request, not from the worker's commit
/// (a job still queued when the window ends may be listed from a replica that has not seen it yet).
/// When the table grows past `capacity`, entries past the window are dropped (at most once a second),
/// then, if it is still too large, the oldest ones.
final class RecentWriters: Sendable {
    let window: Duration
    let capacity: Int
    private let written = Mutex<(table: [String: ContinuousClock.Instant], pruned: ContinuousClock.Instant?)>(
        ([:], nil))

    init(window: Duration, capacity: Int = 100_000) {
        self.window = window
        self.capacity = capacity
    }

    /// Notes that `unit` wrote now.
    func record(_ unit: UnifiedSocialCreditCode, at instant: ContinuousClock.Instant = .now) {
        guard window > .zero else { return }
        written.withLock { state in
            state.table[unit.rawValue] = instant
            guard state.table.count > capacity, state.pruned.map({ instant - $0 >= .seconds(1) }) ?? true else {
                return
            }
            state.pruned = instant
            let horizon = instant - window
            state.table = state.table.filter { $0.value >= horizon }
            if state.table.count > capacity {
                let newest = state.table.sorted { $0.value > $1.value }.prefix(capacity)
                state.table = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
            }
        }
    }

    /// Whether `unit` wrote within the window before `instant`.
    func wroteRecently(_ unit: UnifiedSocialCreditCode, at instant: ContinuousClock.Instant = .now) -> Bool {
        written.withLock { state in state.table[unit.rawValue].map { instant - $0 <= window } ?? false }
    }
}
