import AMQPClient
import TalentCore

/// The broker topology of the whole system, from one definition.
///
/// Per job kind: a quorum work queue bound to `talent.jobs`, dead-lettering into `talent.dead` after
/// ``deliveryLimit`` deliveries or a reject, and a quorum dead-letter queue bound to `talent.dead`.
public enum TalentTopology {
    /// Deliveries of one message before the broker dead-letters it (a worker killed by the message
    /// itself, repeatedly). Quorum queues count every redelivery.
    public static let deliveryLimit: Int64 = 10

    public static var definition: AMQPTopology {
        var queues: [AMQPTopology.Queue] = []
        var bindings: [AMQPTopology.Binding] = []
        for kind in JobKind.allCases {
            let work = JobTopologyNames.workQueue(kind)
            let dead = JobTopologyNames.deadLetterQueue(kind)
            queues.append(
                AMQPTopology.Queue(
                    name: work,
                    arguments: [
                        "x-queue-type": .string("quorum"),
                        "x-dead-letter-exchange": .string(JobTopologyNames.deadLetterExchange),
                        "x-delivery-limit": .int(deliveryLimit),
                    ]))
            queues.append(AMQPTopology.Queue(name: dead, arguments: ["x-queue-type": .string("quorum")]))
            bindings.append(
                AMQPTopology.Binding(queue: work, exchange: JobTopologyNames.jobsExchange, routingKey: kind.routingKey))
            bindings.append(
                AMQPTopology.Binding(
                    queue: dead, exchange: JobTopologyNames.deadLetterExchange, routingKey: kind.routingKey))
        }
        return AMQPTopology(
            exchanges: [
                AMQPTopology.Exchange(name: JobTopologyNames.jobsExchange, type: "direct"),
                AMQPTopology.Exchange(name: JobTopologyNames.deadLetterExchange, type: "direct"),
            ],
            queues: queues, bindings: bindings)
    }
}
