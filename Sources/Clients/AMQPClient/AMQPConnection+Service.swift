import ServiceLifecycle

extension AMQPConnection: Service {
    /// Keeps the connection until the service group shuts down (gracefully or by cancellation), then
    /// closes it: settles already handed over are sent first, waiting publishes fail with `.closed`.
    /// Run it before (so it stops after) the services that publish or consume on it.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
