/// Waits until `condition` holds, checking every 100 ms, for at most `timeout`.
/// - Returns: whether it held in time (tests assert on this, never on how long it took).
public func eventually(
    timeout: Duration = .seconds(180), isolation: isolated (any Actor)? = #isolation,
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}
