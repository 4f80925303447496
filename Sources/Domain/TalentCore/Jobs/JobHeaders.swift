/// Message headers the runtime reads and writes (besides the broker's own `x-death` and
/// `x-delivery-count`).
public enum JobHeaders {
    /// Retries already made through the retry tiers (absent = 0). Integer.
    public static let attempt = "x-talent-attempt"
    /// Why the message was parked: the `JobWorker.JobRejection.Code` raw value. String.
    public static let reason = "x-talent-reason"
    /// The last error seen while handling the job (at most ``maxErrorLength`` characters). String.
    public static let lastError = "x-talent-last-error"
    /// When the message was parked, ISO 8601. String.
    public static let parkedAt = "x-talent-parked-at"
    /// The body's schema version, set by the publisher. Integer.
    public static let schemaVersion = "x-schema-version"
    /// The unit the job acts for, set by the publisher. String.
    public static let unitId = "x-unit-id"
    /// Quorum queues' count of earlier deliveries of this message. Integer.
    public static let deliveryCount = "x-delivery-count"

    /// Longest error text carried in a header.
    public static let maxErrorLength = 1_000
}
