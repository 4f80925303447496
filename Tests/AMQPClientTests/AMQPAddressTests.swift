import AMQPClient
import Testing

/// The node list of `TALENT_AMQP_ADDRESSES` (pure parsing; the failover itself is tested against a
/// real three-node cluster in ClusterFaultTests).
@Suite("AMQP addresses")
struct AMQPAddressTests {
    @Test func aListOfNodesIsParsedInOrder() {
        #expect(
            AMQPAddress.list("10.203.0.11:5672,10.203.0.12:5673, rabbit-3 ,[::1]:5674,[fe80::1]")
                == [
                    AMQPAddress(host: "10.203.0.11", port: 5672), AMQPAddress(host: "10.203.0.12", port: 5673),
                    AMQPAddress(host: "rabbit-3", port: 5672), AMQPAddress(host: "::1", port: 5674),
                    AMQPAddress(host: "fe80::1", port: 5672),
                ])
        #expect(AMQPAddress(host: "::1", port: 5674).description == "[::1]:5674")
    }

    @Test(arguments: [
        "", "a,,b", "host:", "host:0", "host:65536", "host:x", ":5672", "::1:5672", "[::1", "[::1]x", "a b:1",
    ])
    func aMalformedListIsRefused(text: String) {
        #expect(AMQPAddress.list(text) == nil)
    }

    /// The first node is the one a single-node configuration names.
    @Test func aConfigurationAlwaysHasANode() {
        #expect(AMQPConfiguration(addresses: [], connectionName: "t").addresses == [AMQPAddress(host: "127.0.0.1")])
        #expect(AMQPConfiguration(host: "h", port: 1, connectionName: "t").port == 1)
    }
}
