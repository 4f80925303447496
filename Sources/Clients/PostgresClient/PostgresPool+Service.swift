import ServiceLifecycle

extension PostgresPool: Service {
    /// Keeps the pool open until the service group shuts down (gracefully or by cancellation), then
    /// stops accepting work, lets queued calls finish and closes the connections. Run it before (so
    /// it stops after) the services that use it.
    public func run() async throws {
        try? await gracefulShutdown()
        shutdown()
    }
}
