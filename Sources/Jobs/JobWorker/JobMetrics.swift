import Foundation
import Metrics
import TalentCore

/// The metrics a worker records for its job kind (swift-metrics; exposed by the worker's `/metrics`).
///
/// Every series carries `kind` (the job kind: a handful of values); refusals add `code` (the
/// handler's refusal codes, a fixed set per kind) and parked jobs `reason` (``JobRejection/Code``).
/// No unit, job or delivery id is ever a label.
public struct JobMetrics: Sendable {
    /// Names and help text for the Prometheus exposition.
    public static let help: [String: String] = [
        "talent_jobs_started_total": "Jobs taken from deliveries (a delivery from a retry tier counts again).",
        "talent_jobs_succeeded_total":
            "Jobs whose effect committed, or that closed without effect by rule (attachment gone).",
        "talent_jobs_refused_total": "Jobs a rule refused (recorded as failed with a code; not retried).",
        "talent_jobs_already_processed_total":
            "Redelivered jobs whose outcome was already recorded (nothing written again).",
        "talent_jobs_unknown_total": "Jobs with no job row for their unit (nothing written).",
        "talent_jobs_retried_total": "Jobs sent to a retry tier after failing every attempt at once.",
        "talent_jobs_parked_total": "Jobs parked in the dead-letter queue, by reason.",
        "talent_jobs_requeued_total":
            "Deliveries returned to the work queue (broker or database unreachable while settling).",
        "talent_job_duration_seconds": "Time from taking a job (or its batch) to its committed effect.",
        "talent_job_effect_latency_seconds": "Time from the request (requestedAt) to the job's committed effect.",
        "talent_jobs_in_flight": "Jobs this worker is processing now.",
        "talent_batch_fallbacks_total": "Batches that failed together and were applied one job at a time.",
        "talent_consumer_active":
            "1 while this worker's consumer is registered with the broker, else 0 (read at scrape).",
        "talent_broker_connected": "1 while this worker's broker connection is open, else 0 (read at scrape).",
    ]

    let kind: JobKind
    let started: Counter
    let succeeded: Counter
    let alreadyProcessed: Counter
    let unknown: Counter
    let retried: Counter
    let requeued: Counter
    let duration: Timer
    let effectLatency: Timer
    let inFlight: Meter
    let batchFallbacks: Counter

    public init(kind: JobKind) {
        let dimensions = [("kind", kind.rawValue)]
        self.kind = kind
        started = Counter(label: "talent_jobs_started_total", dimensions: dimensions)
        succeeded = Counter(label: "talent_jobs_succeeded_total", dimensions: dimensions)
        alreadyProcessed = Counter(label: "talent_jobs_already_processed_total", dimensions: dimensions)
        unknown = Counter(label: "talent_jobs_unknown_total", dimensions: dimensions)
        retried = Counter(label: "talent_jobs_retried_total", dimensions: dimensions)
        requeued = Counter(label: "talent_jobs_requeued_total", dimensions: dimensions)
        duration = Timer(label: "talent_job_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        effectLatency = Timer(
            label: "talent_job_effect_latency_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        inFlight = Meter(label: "talent_jobs_in_flight", dimensions: dimensions)
        batchFallbacks = Counter(label: "talent_batch_fallbacks_total", dimensions: dimensions)
        // Every parking reason's series at zero: the first parked job after a start is an increase
        // (a series that appears at 1 has no earlier sample, and `increase()` would miss it).
        for reason in JobRejection.Code.allCases {
            _ = Counter(
                label: "talent_jobs_parked_total", dimensions: [("kind", kind.rawValue), ("reason", reason.rawValue)])
        }
    }

    func refused(code: String) {
        Counter(label: "talent_jobs_refused_total", dimensions: [("kind", kind.rawValue), ("code", code)]).increment()
    }

    func parked(reason: JobRejection.Code) {
        Counter(label: "talent_jobs_parked_total", dimensions: [("kind", kind.rawValue), ("reason", reason.rawValue)])
            .increment()
    }

    /// Records what applying a batch did, after its commit: outcomes, duration, request → effect latency.
    func applied(_ results: [JobApplication], requestedAt: [Date], since start: ContinuousClock.Instant) {
        let elapsed = start.duration(to: .now)
        let now = Date()
        for (result, requested) in zip(results, requestedAt) {
            switch result {
            case .applied(.succeeded):
                succeeded.increment()
            case .applied(.refused(let code, _)):
                refused(code: code)
            case .alreadyProcessed:
                alreadyProcessed.increment()
                continue
            case .unknownJob:
                unknown.increment()
                continue
            }
            duration.record(duration: elapsed)
            effectLatency.record(max(now.timeIntervalSince(requested), 0))
        }
    }
}
