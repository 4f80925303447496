import Synchronization

/// A job ran past its time limit (``WorkerConfiguration/jobTimeLimitSeconds``).
public struct TimeLimitExceeded: Error, Sendable, CustomStringConvertible {
    public var seconds: Int
    public var description: String { "time limit of \(seconds) s exceeded" }
}

/// Runs `operation`, giving up after `seconds` with ``TimeLimitExceeded``.
///
/// The operation is cancelled but not awaited when the limit passes (blocking database or inspector
/// calls cannot be interrupted); if it commits later, the retried job finds its idempotency record and
/// does nothing.
func withTimeLimit<Value: Sendable>(
    seconds: Int, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let work = Task { try await operation() }
    let outcome = FirstOutcome<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            outcome.set(continuation)
            let timer = Task {
                try? await Task.sleep(for: .seconds(seconds))
                guard !Task.isCancelled else { return }
                work.cancel()
                outcome.resume(with: .failure(TimeLimitExceeded(seconds: seconds)))
            }
            Task {
                let result = await work.result
                timer.cancel()
                outcome.resume(with: result)
            }
        }
    } onCancel: {
        work.cancel()
    }
}

/// Resumes a continuation with whichever outcome comes first (the operation or its deadline).
private final class FirstOutcome<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, any Error>?>(nil)

    func set(_ value: CheckedContinuation<Value, any Error>) {
        continuation.withLock { $0 = value }
    }

    func resume(with result: Result<Value, any Error>) {
        let taken = continuation.withLock { value in
            defer { value = nil }
            return value
        }
        taken?.resume(with: result)
    }
}
