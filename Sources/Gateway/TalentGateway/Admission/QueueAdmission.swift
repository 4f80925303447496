import JobQueue
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import TalentCore
import TalentObservability

/// Admission control per job kind: while the oldest queued job of a kind is older than
/// ``maximumAgeSeconds``, new requests of that kind are answered `503 queue_backlogged` with
/// `Retry-After` instead of piling up behind it (the workers are behind, down, or too few); reads and
/// other kinds go on. The ages are read from the jobs table once a second by ``run()`` (a
/// swift-service-lifecycle service beside the HTTP server) and shown as
/// `talent_admission_open{kind}` (1 admitting, 0 refusing); refusals count in
/// `talent_admission_refused_total{kind}`.
final class QueueAdmission: Service, Sendable {
    /// Older than this (seconds) refuses the kind; 0 turns admission control off.
    let maximumAgeSeconds: Int
    let jobs: JobStore
    let logger: Logger
    private let ages = Mutex<[JobKind: Int]>([:])

    init(maximumAgeSeconds: Int, jobs: JobStore, logger: Logger) {
        self.maximumAgeSeconds = maximumAgeSeconds
        self.jobs = jobs
        self.logger = logger
        for kind in JobKind.allCases {
            Gauge(label: "talent_admission_open", dimensions: [("kind", kind.rawValue)]).record(1)
            Counter(label: "talent_admission_refused_total", dimensions: [("kind", kind.rawValue)]).increment(by: 0)
        }
    }

    /// Sets the oldest queued job's age per kind, in seconds (``run()`` does; tests call it directly).
    func update(oldestQueuedAges: [JobKind: Int]) {
        ages.withLock { $0 = oldestQueuedAges }
        for kind in JobKind.allCases {
            Gauge(label: "talent_admission_open", dimensions: [("kind", kind.rawValue)])
                .record(admits(kind, age: oldestQueuedAges[kind] ?? 0) ? 1 : 0)
        }
    }

    /// - Throws: ``GatewayError`` `queue_backlogged` (503, `Retry-After` 30 s) while `kind` is refused.
    func admit(_ kind: JobKind) throws(GatewayError) {
        let age = ages.withLock { $0[kind] ?? 0 }
        guard !admits(kind, age: age) else { return }
        Counter(label: "talent_admission_refused_total", dimensions: [("kind", kind.rawValue)]).increment()
        throw GatewayError(
            .queueBacklogged,
            "\(kind.rawValue) jobs are \(age) s behind (more than \(maximumAgeSeconds) s); retry later",
            retryAfterSeconds: 30)
    }

    private func admits(_ kind: JobKind, age: Int) -> Bool {
        maximumAgeSeconds == 0 || age <= maximumAgeSeconds
    }

    /// Reads the ages once a second until shutdown; a failed read keeps the last ages (the database
    /// being down is answered by the requests themselves).
    /// Turned off (0), it only waits for the shutdown: a service that returns early stops its group.
    func run() async throws {
        guard maximumAgeSeconds > 0 else {
            try? await gracefulShutdown()
            return
        }
        let jobs = self.jobs
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if let read = await answer(within: .seconds(1), { try? await jobs.oldestQueuedAges() }),
                    let ages = read
                {
                    self.update(oldestQueuedAges: ages)
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
