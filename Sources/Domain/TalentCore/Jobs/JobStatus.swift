/// The life of a job as the gateway reports it.
///
/// `queued` (stored, published or about to be) → `succeeded` | `failed` (the worker committed its
/// effect or its refusal) ; `dead_lettered` when the message could not be processed at all.
public enum JobStatus: String, Codable, Sendable, CaseIterable {
    case queued
    case succeeded
    case failed
    case deadLettered = "dead_lettered"
}
