import Foundation
import PostgresClient
import TalentCore
import Testing

@testable import AMQPClient
@testable import JobWorker

/// A retry or parking copy must keep the identity of the job it copies.
@Suite("Copies of deliveries")
struct CopyMessageIdTests {
    static func delivery(messageId: String?, body: [UInt8] = Array("{}".utf8)) -> AMQPDelivery {
        AMQPDelivery(
            deliveryTag: 1, channelGeneration: 1, redelivered: false, exchange: "talent.jobs",
            routingKey: "association.decision", body: body, messageId: messageId, type: nil, headers: [:])
    }

    @Test func keepsTheDeliverysMessageId() {
        let id = JobConsumer<TestOnlyHandler>.copyMessageId(Self.delivery(messageId: "given"), jobId: UUID())
        #expect(id == "given")
    }

    /// Before: a copy of a message without `message-id` got a new random job id each time.
    @Test func usesTheJobIdWhenTheMessageHasNone() {
        let jobId = UUID()
        let id = JobConsumer<TestOnlyHandler>.copyMessageId(Self.delivery(messageId: nil), jobId: jobId)
        #expect(id == jobId.uuidString.lowercased())
    }

    @Test func isStableForAnUndecodableMessageWithoutId() {
        let body = Array("not json".utf8)
        let first = JobConsumer<TestOnlyHandler>.copyMessageId(Self.delivery(messageId: nil, body: body), jobId: nil)
        let second = JobConsumer<TestOnlyHandler>.copyMessageId(Self.delivery(messageId: nil, body: body), jobId: nil)
        let other = JobConsumer<TestOnlyHandler>.copyMessageId(
            Self.delivery(messageId: nil, body: Array("other".utf8)), jobId: nil)
        #expect(first == second)
        #expect(first != other)
    }
}

/// A handler type to name `JobConsumer`'s static helpers with; never run.
struct TestOnlyHandler: JobHandler {
    func apply(_ job: Job<AttachmentValidationJob>, prepared: Void, in transaction: PostgresConnection) throws
        -> JobOutcome
    { .succeeded() }
}
