/// Names of the broker objects jobs travel through. The full declaration (queue arguments) is built
/// from these in `JobQueue.TalentTopology`; the gateway needs only the exchange and routing keys.
public enum JobTopologyNames {
    /// Direct exchange every job is published to, with its kind as routing key.
    public static let jobsExchange = "talent.jobs"
    /// Direct exchange of the retry (delay) queues; routing key = the tier queue's name.
    public static let retryExchange = "talent.retry"
    /// Direct exchange of the dead-letter (parking) queues, with the kind as routing key.
    public static let deadLetterExchange = "talent.dead"

    /// The work queue of a job kind.
    public static func workQueue(_ kind: JobKind) -> String { kind.rawValue }
    /// The dead-letter (parking) queue of a job kind.
    public static func deadLetterQueue(_ kind: JobKind) -> String { kind.rawValue + ".dead" }
    /// The delay queue of retry tier `tier` (1-based) of a job kind.
    public static func retryQueue(_ kind: JobKind, tier: Int) -> String { "\(kind.rawValue).retry.\(tier)" }
}
