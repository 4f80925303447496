import Foundation
import Synchronization

/// Records broker confirms on job rows (`published_at`) in batches, off the request's path: a
/// confirmed publish hands its job id over and returns; one flush at a time writes every id handed
/// over meanwhile in one statement (``JobStore/markPublished(ids:)``).
///
/// The marks only tell the relay which jobs need no republication. A mark not written (database
/// unreachable, process stopped before the flush) makes the relay publish that job again after
/// ``RelaySettings/afterSeconds``; the worker's idempotency record absorbs the duplicate.
public final class PublicationMarks: Sendable {
    private struct State {
        var pending: [UUID] = []
        var flushing = false
    }

    private let jobs: JobStore
    private let state = Mutex(State())

    public init(jobs: JobStore) {
        self.jobs = jobs
    }

    /// Hands a confirmed job's id over; starts a flush unless one is running (it takes this id too).
    public func record(_ id: UUID) {
        let start = state.withLock { state -> Bool in
            state.pending.append(id)
            guard !state.flushing else { return false }
            state.flushing = true
            return true
        }
        // Unstructured on purpose: the flush must not hold up the request that happened to start it.
        // It ends as soon as nothing is pending; marks lost with it cost one republication each.
        if start { Task { await self.write() } }
    }

    /// Writes the pending marks until none is left; the caller holds the `flushing` flag.
    private func write() async {
        while true {
            let ids = state.withLock { state -> [UUID] in
                defer { state.pending.removeAll(keepingCapacity: true) }
                if state.pending.isEmpty { state.flushing = false }
                return state.pending
            }
            if ids.isEmpty { return }
            try? await jobs.markPublished(ids: ids)
        }
    }

    /// Writes every pending mark, in rounds, until none is left; a caller that finds another flush
    /// running waits until that one has written everything (before a short-lived process exits).
    public func flush() async {
        let lead = state.withLock { state -> Bool in
            guard !state.flushing else { return false }
            state.flushing = true
            return true
        }
        guard lead else {
            while state.withLock({ $0.flushing }) { try? await Task.sleep(for: .milliseconds(5)) }
            return
        }
        await write()
    }
}
