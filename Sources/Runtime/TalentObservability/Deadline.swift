import Synchronization

/// Waits for `body` at most `limit`: its answer, or `nil` past the limit. Past it, `body` is cancelled
/// and left to end on its own (its answer is dropped): the caller never waits longer than `limit`,
/// even for work that does not stop when cancelled (a statement running on a broken connection).
public func answer<T: Sendable>(within limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
    await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
        let answered = Mutex(false)
        let resumeOnce: @Sendable (T?) -> Bool = { value in
            let first = answered.withLock { done in
                defer { done = true }
                return !done
            }
            if first { continuation.resume(returning: value) }
            return first
        }
        let work = Task { _ = resumeOnce(await body()) }
        Task {
            try? await Task.sleep(for: limit)
            if resumeOnce(nil) { work.cancel() }
        }
    }
}
