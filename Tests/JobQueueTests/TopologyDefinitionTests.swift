import AMQPClient
import JobQueue
import TalentCore
import Testing

@Suite("Topology definition")
struct TopologyDefinitionTests {
    let queues = TalentTopology.queues(for: .attachmentValidation)

    @Test func workQueueDeadLettersAtLeastOnceAfterTheDeliveryLimit() throws {
        let definition = TalentTopology.definition
        let work = try #require(definition.queues.first { $0.name == "attachment.validation" })
        #expect(work.arguments["x-queue-type"] == .string("quorum"))
        #expect(work.arguments["x-delivery-limit"] == .int(TalentTopology.deliveryLimit))
        #expect(work.arguments["x-dead-letter-exchange"] == .string("talent.dead"))
        #expect(work.arguments["x-dead-letter-strategy"] == .string("at-least-once"))
        #expect(work.arguments["x-overflow"] == .string("reject-publish"))
    }

    @Test func retryTiersReturnToTheWorkQueueAfterTheirDelay() throws {
        let definition = TalentTopology.definition
        #expect(queues.retryTiers.count == TalentTopology.retryDelaysMilliseconds.count)
        for (tier, delay) in zip(queues.retryTiers, TalentTopology.retryDelaysMilliseconds) {
            let queue = try #require(definition.queues.first { $0.name == tier.queue })
            #expect(queue.arguments["x-message-ttl"] == .int(delay))
            #expect(queue.arguments["x-dead-letter-exchange"] == .string("talent.jobs"))
            #expect(queue.arguments["x-dead-letter-routing-key"] == .string("attachment.validation"))
            #expect(
                definition.bindings.contains(
                    AMQPTopology.Binding(queue: tier.queue, exchange: "talent.retry", routingKey: tier.queue)))
        }
        #expect(TalentTopology.retryDelaysMilliseconds == TalentTopology.retryDelaysMilliseconds.sorted())
    }

    @Test func parkingQueueIsBoundToTheDeadLetterExchange() {
        let definition = TalentTopology.definition
        #expect(
            definition.bindings.contains(
                AMQPTopology.Binding(
                    queue: "attachment.validation.dead", exchange: "talent.dead", routingKey: "attachment.validation")))
        #expect(Set(definition.exchanges.map(\.name)) == ["talent.jobs", "talent.retry", "talent.dead"])
    }
}
