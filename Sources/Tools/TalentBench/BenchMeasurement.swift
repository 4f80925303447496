import Foundation

/// One run of one measure, printed as a JSON line for the benchmark's orchestrator
/// (`benchmarks/bench.py`), which repeats runs and reports the median and the spread.
public struct BenchMeasurement: Sendable, Codable {
    /// The measure's name, e.g. `ceiling.publish`.
    public var measure: String
    /// Messages, rows or jobs handled.
    public var count: Int
    /// Wall-clock seconds from the first to the last one.
    public var seconds: Double
    /// `count / seconds`.
    public var perSecond: Double
    /// What the run was given (window, prefetch, batch, …).
    public var parameters: [String: Int]
    /// CPU milliseconds per item, where the measure reads them (the inspector's).
    public var cpuMsPerFile: Double?

    public init(measure: String, count: Int, elapsed: Duration, parameters: [String: Int] = [:]) {
        self.measure = measure
        self.count = count
        self.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        self.perSecond = seconds > 0 ? Double(count) / seconds : 0
        self.parameters = parameters
    }

    /// The measurement as one line of JSON (sorted keys).
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}

/// Runs `body` on `0..<count`, at most `window` at a time.
public func inWindow(_ count: Int, window: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        while next < min(window, count) {
            let index = next
            group.addTask { try await body(index) }
            next += 1
        }
        while try await group.next() != nil {
            if next < count {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
        }
    }
}
