/// How to reach the broker and how a connection behaves.
public struct AMQPConfiguration: Sendable {
    /// The cluster's nodes, tried in order: the connection starts at one chosen at random (connections
    /// spread over the cluster) and, whenever a connect fails or an open connection goes away, moves on
    /// to the next one (wrapping around). Never empty; default one node, `127.0.0.1:5672`.
    public private(set) var addresses: [AMQPAddress]
    /// The first node's host.
    public var host: String { addresses[0].host }
    /// The first node's port.
    public var port: Int { addresses[0].port }
    public var user: String
    public var password: String
    /// Virtual host. Default `/`.
    public var virtualHost: String
    /// Heartbeat interval in seconds negotiated with the broker. Default 30.
    public var heartbeatSeconds: Int
    /// Shown in the broker's connection list (`connection_name` client property).
    public var connectionName: String
    /// Socket connect timeout in seconds. Default 5.
    public var connectTimeoutSeconds: Int
    /// Longest wait for the reply to a synchronous method (declare, qos, consume, cancel), in seconds;
    /// past it the connection is dropped and re-established. Default 10.
    public var rpcTimeoutSeconds: Int
    /// First and largest delay between reconnection attempts, in milliseconds (doubling). Defaults 100 / 5000.
    public var reconnectInitialDelayMilliseconds: Int
    public var reconnectMaxDelayMilliseconds: Int

    /// One node at `host:port`.
    public init(
        host: String = "127.0.0.1", port: Int = 5672, user: String = "guest", password: String = "guest",
        virtualHost: String = "/", heartbeatSeconds: Int = 30, connectionName: String,
        connectTimeoutSeconds: Int = 5, rpcTimeoutSeconds: Int = 10, reconnectInitialDelayMilliseconds: Int = 100,
        reconnectMaxDelayMilliseconds: Int = 5000
    ) {
        self.init(
            addresses: [AMQPAddress(host: host, port: port)], user: user, password: password,
            virtualHost: virtualHost, heartbeatSeconds: heartbeatSeconds, connectionName: connectionName,
            connectTimeoutSeconds: connectTimeoutSeconds, rpcTimeoutSeconds: rpcTimeoutSeconds,
            reconnectInitialDelayMilliseconds: reconnectInitialDelayMilliseconds,
            reconnectMaxDelayMilliseconds: reconnectMaxDelayMilliseconds)
    }

    /// The nodes of a cluster; an empty list means one node at `127.0.0.1:5672`.
    public init(
        addresses: [AMQPAddress], user: String = "guest", password: String = "guest",
        virtualHost: String = "/", heartbeatSeconds: Int = 30, connectionName: String,
        connectTimeoutSeconds: Int = 5, rpcTimeoutSeconds: Int = 10, reconnectInitialDelayMilliseconds: Int = 100,
        reconnectMaxDelayMilliseconds: Int = 5000
    ) {
        self.addresses = addresses.isEmpty ? [AMQPAddress(host: "127.0.0.1")] : addresses
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
        self.heartbeatSeconds = heartbeatSeconds
        self.connectionName = connectionName
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.rpcTimeoutSeconds = rpcTimeoutSeconds
        self.reconnectInitialDelayMilliseconds = reconnectInitialDelayMilliseconds
        self.reconnectMaxDelayMilliseconds = reconnectMaxDelayMilliseconds
    }
}
