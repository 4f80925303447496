import Synchronization
import TalentCore

/// The units this gateway accepted a write or a job for within the last `window`: their reads that may
/// lag go to the primary, so a unit sees its own recent changes (read-your-writes) even while the
/// replica is behind. Kept in memory per gateway process; entries past the window are dropped when the
/// table grows past `capacity`.
final class RecentWriters: Sendable {
    let window: Duration
    let capacity: Int
    private let written = Mutex<[String: ContinuousClock.Instant]>([:])

    init(window: Duration, capacity: Int = 100_000) {
        self.window = window
        self.capacity = capacity
    }

    /// Notes that `unit` wrote now.
    func record(_ unit: UnifiedSocialCreditCode, at instant: ContinuousClock.Instant = .now) {
        guard window > .zero else { return }
        written.withLock { table in
            table[unit.rawValue] = instant
            if table.count > capacity {
                let horizon = instant - window
                table = table.filter { $0.value >= horizon }
            }
        }
    }

    /// Whether `unit` wrote within the window before `instant`.
    func wroteRecently(_ unit: UnifiedSocialCreditCode, at instant: ContinuousClock.Instant = .now) -> Bool {
        written.withLock { table in table[unit.rawValue].map { instant - $0 <= window } ?? false }
    }
}
