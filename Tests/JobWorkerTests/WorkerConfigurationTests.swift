import Testing

@testable import JobWorker

@Suite("Worker configuration")
struct WorkerConfigurationTests {
    @Test func defaultsStayBelowConsumerTimeout() throws {
        try WorkerConfiguration().validate()
    }

    @Test func refusesPrefetchThatCanReachConsumerTimeout() {
        let configuration = WorkerConfiguration(prefetch: 200, concurrency: 1, jobTimeLimitSeconds: 60)
        #expect(throws: WorkerConfiguration.Invalid.self) { try configuration.validate() }
    }
}

extension WorkerConfigurationTests {
    @Test func batchAttemptsCountTowardsTheWorstWait() {
        let single = WorkerConfiguration(prefetch: 8, concurrency: 2, batchSize: 1, jobTimeLimitSeconds: 100)
        let batched = WorkerConfiguration(prefetch: 8, concurrency: 2, batchSize: 4, jobTimeLimitSeconds: 100)
        #expect(single.worstUnacknowledgedSeconds == 400)
        #expect(batched.worstUnacknowledgedSeconds == 500)
    }
}
