import Testing

@testable import TalentGateway

/// The request budget's arithmetic, with the time given (no waiting).
@Suite("Token bucket")
struct TokenBucketTests {
    @Test func aBurstThenOneTokenPerInterval() {
        var bucket = TokenBucket(rate: 2, capacity: 3, now: 0)
        #expect(bucket.take(now: 0) == nil)
        #expect(bucket.take(now: 0) == nil)
        #expect(bucket.take(now: 0) == nil)
        // Empty: the next token comes in 1 / rate seconds.
        #expect(bucket.take(now: 0) == 0.5)
        #expect(bucket.take(now: 0.25) == 0.25)
        #expect(bucket.take(now: 0.5) == nil)
        // A quiet time refills it up to its capacity, never beyond.
        #expect(!bucket.isFull(now: 1))
        #expect(bucket.isFull(now: 100))
        for _ in 0..<3 { #expect(bucket.take(now: 100) == nil) }
        #expect(bucket.take(now: 100) != nil)
    }

    @Test func timeGoingBackwardsAddsNothing() {
        var bucket = TokenBucket(rate: 1, capacity: 1, now: 10)
        #expect(bucket.take(now: 10) == nil)
        #expect(bucket.take(now: 5) == 1)
    }

    @Test func callersHaveTheirOwnBudgets() throws {
        let budgets = RequestBudgets(
            unit: .init(ratePerSecond: 1, burst: 2), service: .init(ratePerSecond: 0, burst: 0), maximumTracked: 2)
        try budgets.admit("unit:A", now: 0)
        try budgets.admit("unit:A", now: 0)
        #expect {
            try budgets.admit("unit:A", now: 0)
        } throws: { error in
            (error as? GatewayError)?.code == .rateLimited && (error as? GatewayError)?.retryAfterSeconds == 1
        }
        // Another unit is not slowed; a service with no limit is never refused.
        try budgets.admit("unit:B", now: 0)
        for _ in 0..<1_000 { try budgets.admit("service:personal-portal", now: 0) }
        // Past the tracked maximum, full buckets are forgotten (memory stays bounded), busy ones kept.
        try budgets.admit("unit:C", now: 100)
        #expect {
            try budgets.admit("unit:C", now: 100)
            try budgets.admit("unit:C", now: 100)
        } throws: { error in (error as? GatewayError)?.code == .rateLimited }
    }
}
