import Logging
import ServiceLifecycle

/// How every executable runs its long-lived parts: one `ServiceGroup`, started in the order given and
/// shut down in reverse on SIGTERM or SIGINT.
public enum ProcessServices {
    /// Runs `services` until a signal has drained them (returns `true`) or one failed (logs
    /// `stopped: a service failed` with the group's error, which names the service, and returns `false`:
    /// exit non-zero).
    /// - Parameters:
    ///   - services: (service, name for logs), dependencies first.
    ///   - graceSeconds: how long a graceful shutdown may take before the services are cancelled.
    public static func run(
        _ services: [(service: any Service, name: String)], graceSeconds: Int, logger: Logger
    ) async -> Bool {
        var group = ServiceGroupConfiguration(
            services: services.map { .init(service: $0.service, serviceName: $0.name) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(graceSeconds)
        group.maximumCancellationDuration = .seconds(5)
        do {
            try await ServiceGroup(configuration: group).run()
            return true
        } catch {
            logger.critical("stopped: a service failed", metadata: ["error": "\(String(reflecting: error))"])
            return false
        }
    }
}
