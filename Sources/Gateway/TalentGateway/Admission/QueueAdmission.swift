import JobQueue
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import TalentCore
import TalentObservability

/// Admission control per job kind: while at least ``minimumOldJobs`` jobs of a kind have waited longer
/// than ``maximumAgeSeconds``, new requests of that kind are answered `503 queue_backlogged` with
/// `Retry-After` instead of piling up behind them (the workers are behind, down, or too few); reads and
/// other kinds go on. One old job alone (a job in its retry tiers, a message the relay will send
/// again) does not close the door for every unit: a backlog does. The counts are read from the jobs
/// table once a second by ``run()`` (a swift-service-lifecycle service beside the HTTP server) and
/// shown as `talent_admission_open{kind}` (1 admitting, 0 refusing); refusals count in
/// `talent_admission_refused_total{kind}`.
final class QueueAdmission: Service, Sendable {
    /// Waiting longer than this (seconds) makes a job old; 0 turns admission control off.
    let maximumAgeSeconds: Int
    /// This many old jobs of a kind refuse it (≥ 1).
    let minimumOldJobs: Int
    let jobs: JobStore
    let logger: Logger
    private let oldJobs = Mutex<[JobKind: Int]>([:])

    init(maximumAgeSeconds: Int, minimumOldJobs: Int, jobs: JobStore, logger: Logger) {
        self.maximumAgeSeconds = maximumAgeSeconds
        self.minimumOldJobs = max(minimumOldJobs, 1)
        self.jobs = jobs
        self.logger = logger
        for kind in JobKind.allCases {
            Gauge(label: "talent_admission_open", dimensions: [("kind", kind.rawValue)]).record(1)
            Counter(label: "talent_admission_refused_total", dimensions: [("kind", kind.rawValue)]).increment(by: 0)
        }
    }

    /// Sets how many jobs per kind have waited longer than the bound (``run()`` does; tests call it
    /// directly).
    func update(oldJobs counts: [JobKind: Int]) {
        oldJobs.withLock { $0 = counts }
        for kind in JobKind.allCases {
            Gauge(label: "talent_admission_open", dimensions: [("kind", kind.rawValue)])
                .record(admits(old: counts[kind] ?? 0) ? 1 : 0)
        }
    }

    /// - Throws: ``GatewayError`` `queue_backlogged` (503, `Retry-After` 30 s) while `kind` is refused.
    func admit(_ kind: JobKind) throws(GatewayError) {
        let old = oldJobs.withLock { $0[kind] ?? 0 }
        guard !admits(old: old) else { return }
        Counter(label: "talent_admission_refused_total", dimensions: [("kind", kind.rawValue)]).increment()
        throw GatewayError(
            .queueBacklogged,
            "\(old)\(old >= minimumOldJobs ? "+" : "") \(kind.rawValue) jobs have waited more than \(maximumAgeSeconds) s; retry later",
            retryAfterSeconds: 30)
    }

    private func admits(old: Int) -> Bool {
        maximumAgeSeconds == 0 || old < minimumOldJobs
    }

    /// Reads the counts once a second until shutdown; a failed read keeps the last counts (the
    /// database being down is answered by the requests themselves).
    /// Turned off (0), it only waits for the shutdown: a service that returns early stops its group.
    func run() async throws {
        guard maximumAgeSeconds > 0 else {
            try? await gracefulShutdown()
            return
        }
        let (jobs, seconds, limit) = (self.jobs, maximumAgeSeconds, minimumOldJobs)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if let read = await answer(
                    within: .seconds(1), { try? await jobs.waitingLongerThan(seconds: seconds, limit: limit) }),
                    let counts = read
                {
                    self.update(oldJobs: counts)
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
