import PostgresClient
import Testing

/// The lag estimate from WAL positions (pure; the replica itself is exercised in ReplicaReadTests).
@Suite("Replica lag estimator")
struct ReplicaLagEstimatorTests {
    let start = ContinuousClock.now

    @Test func walPositionsParse() {
        #expect(ReplicaLagEstimator.position("16/B374D848") == 0x16_B374_D848)
        #expect(ReplicaLagEstimator.position("0/0") == 0)
        for text in ["", "16", "16/", "/1", "x/1", "1/2/3", "123456789/0"] {
            #expect(ReplicaLagEstimator.position(text) == nil, "\(text)")
        }
    }

    /// A replica that has replayed what the primary had at a sample is behind by the time since then.
    @Test func theLagIsTheTimeSinceTheNewestSampleTheReplicaHolds() {
        var estimator = ReplicaLagEstimator()
        #expect(estimator.lag == nil)
        #expect(!estimator.isFresh(within: .seconds(60)))
        estimator.primaryPosition(100, at: start)
        estimator.primaryPosition(200, at: start + .seconds(1))
        estimator.primaryPosition(300, at: start + .seconds(2))
        #expect(estimator.replicaReplayed(250, at: start + .seconds(3)) == .atMost(.seconds(2)))
        #expect(estimator.isFresh(within: .seconds(2), at: start + .seconds(3)))
        #expect(!estimator.isFresh(within: .seconds(1), at: start + .seconds(3)))
        #expect(estimator.replicaReplayed(300, at: start + .milliseconds(2_100)) == .atMost(.milliseconds(100)))
    }

    /// On an idle primary the position stays; a replica holding it stays fresh (unlike the replay
    /// timestamp, which ages).
    @Test func anIdlePrimaryKeepsAnUpToDateReplicaFresh() {
        var estimator = ReplicaLagEstimator()
        for second in 0..<100 {
            estimator.primaryPosition(500, at: start + .seconds(second))
            estimator.replicaReplayed(500, at: start + .seconds(second) + .milliseconds(10))
        }
        #expect(estimator.lag == .atMost(.milliseconds(10)))
    }

    /// Without new samples (the replica hangs, or the sample does) the estimate ages: past the bound
    /// the replica is no longer fresh.
    @Test func anEstimateAgesWithoutNewSamples() {
        var estimator = ReplicaLagEstimator()
        estimator.primaryPosition(500, at: start)
        estimator.replicaReplayed(500, at: start + .milliseconds(100))
        #expect(estimator.isFresh(within: .seconds(5), at: start + .seconds(4)))
        #expect(!estimator.isFresh(within: .seconds(5), at: start + .seconds(6)))
    }

    @Test func aReplicaBehindTheHistoryOrUnavailableIsNotFresh() {
        var estimator = ReplicaLagEstimator(capacity: 3)
        for step in 1...5 { estimator.primaryPosition(UInt64(step * 100), at: start + .seconds(step)) }
        #expect(estimator.replicaReplayed(150, at: start + .seconds(6)) == .beyondHistory)
        #expect(!estimator.isFresh(within: .seconds(3_600), at: start + .seconds(6)))
        estimator.replicaReplayed(500, at: start + .seconds(6))
        #expect(estimator.isFresh(within: .seconds(1), at: start + .seconds(6)))
        estimator.replicaUnavailable()
        #expect(estimator.lag == nil)
        #expect(!estimator.isFresh(within: .seconds(3_600)))
    }
}
