import Dispatch
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// On SIGTERM or SIGINT: calls `drain` once, and ends the process if draining takes longer than the
/// grace period (unacknowledged deliveries then return to the queue; their effects are idempotent).
///
/// Keep the instance alive for as long as signals should be handled (it owns the signal sources).
public final class SignalDrain {
    private var sources: [any DispatchSourceSignal] = []

    public init() {}

    public func install(graceSeconds: Int, logger: Logger, drain: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "signals")
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                logger.info(
                    "signal received; draining",
                    metadata: ["signal": "\(signalNumber)", "graceSeconds": "\(graceSeconds)"])
                drain()
                queue.asyncAfter(deadline: .now() + .seconds(graceSeconds)) {
                    logger.warning("drain grace period over; exiting with jobs in flight")
                    exit(0)
                }
            }
            source.resume()
            sources.append(source)
        }
    }
}
