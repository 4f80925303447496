import AMQPClient
import Synchronization

/// Deliveries received but not yet taken by a job slot. A slot takes everything available up to its
/// batch size, so batches form by themselves when deliveries arrive faster than jobs finish.
public final class DeliveryBuffer: Sendable {
    private struct State {
        var deliveries: [AMQPDelivery] = []
        var waiters: [(Int, CheckedContinuation<[AMQPDelivery], Never>)] = []
        var finished = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds a delivery; hands it (with any others waiting) to a slot that waits.
    public func put(_ delivery: AMQPDelivery) {
        let resumed = state.withLock { state -> (CheckedContinuation<[AMQPDelivery], Never>, [AMQPDelivery])? in
            state.deliveries.append(delivery)
            guard !state.waiters.isEmpty else { return nil }
            let (limit, waiter) = state.waiters.removeFirst()
            return (waiter, Self.take(from: &state.deliveries, limit: limit))
        }
        if let (waiter, batch) = resumed { waiter.resume(returning: batch) }
    }

    /// No more deliveries will come: waiting slots get an empty batch.
    public func finish() {
        let waiters = state.withLock { state in
            state.finished = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for (_, waiter) in waiters { waiter.resume(returning: []) }
    }

    /// Up to `limit` deliveries, waiting for the first; empty once finished and drained.
    public func take(limit: Int) async -> [AMQPDelivery] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [AMQPDelivery]? in
                if !state.deliveries.isEmpty { return Self.take(from: &state.deliveries, limit: limit) }
                if state.finished { return [] }
                state.waiters.append((limit, continuation))
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private static func take(from deliveries: inout [AMQPDelivery], limit: Int) -> [AMQPDelivery] {
        let count = min(limit, deliveries.count)
        defer { deliveries.removeFirst(count) }
        return Array(deliveries.prefix(count))
    }
}
