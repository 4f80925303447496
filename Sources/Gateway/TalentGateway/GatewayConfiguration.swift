import JobQueue
import TalentCore

/// Gateway settings (read from the environment by `talent-gateway`).
public struct GatewayConfiguration: Sendable {
    /// Listen address. Default `127.0.0.1`.
    public var host: String
    /// Listen port. Default 8080.
    public var port: Int
    /// Where the identity platform's public keys (JWKS) are read from.
    public var identityKeys: IdentityKeySource
    /// Algorithms a unit token may be signed with (asymmetric only: a subset of
    /// ``IdentityKeySet/supportedAlgorithms``). Default ES256, ES384, EdDSA.
    public var tokenAlgorithms: Set<String> = Self.defaultTokenAlgorithms
    /// ES256, ES384, EdDSA.
    public static let defaultTokenAlgorithms: Set<String> = ["ES256", "ES384", "EdDSA"]
    /// Seconds between two reloads of the identity keys. Default 60.
    public var identityKeysRefreshSeconds: Int = 60
    /// PEM of the upstream services' ES256 public key (service-to-service tokens, e.g. the
    /// personal-edition portal). Default `nil`: service endpoints refuse every token.
    public var servicePublicKeyPEM: String?
    /// Expected `iss` (no default: production must name its identity platform).
    public var tokenIssuer: String
    /// Expected `aud`. Default ``DevelopmentIssuer/defaultAudience``.
    public var tokenAudience: String
    /// Attachment limits; the request body cap is the largest per-kind limit.
    public var attachmentPolicy: AttachmentPolicy
    /// How long a publish waits for the broker's confirm, in seconds. Default 5.
    public var publishConfirmTimeoutSeconds: Int
    /// Database connections of the gateway. Default 8.
    public var databasePoolSize: Int
    /// When the relay publishes jobs again (see ``JobRelay``).
    public var relay: RelaySettings
    /// Requests per second a unit may make, sustained; 0: no limit. Default 100.
    public var unitRequestsPerSecond: Double = 100
    /// Requests a unit may make at once after a quiet time. Default 400.
    public var unitRequestBurst: Int = 400
    /// Requests per second a service may make, sustained; 0: no limit. Default 1,000.
    public var serviceRequestsPerSecond: Double = 1_000
    /// Requests a service may make at once. Default 4,000.
    public var serviceRequestBurst: Int = 4_000
    /// New jobs of a kind are refused (503) while ``admissionMinOldJobs`` of its queued jobs have
    /// waited longer than this, in seconds; 0: never. Default 300.
    public var admissionMaxQueuedAgeSeconds: Int = 300
    /// How many jobs of a kind must have waited that long to refuse it (one stuck job does not).
    /// Default 100.
    public var admissionMinOldJobs: Int = 100
    /// libpq connection string of a streaming replica for reads that may lag (``ReadRouting``); `nil`:
    /// every read on the primary.
    public var replicaConnInfo: String?
    /// Reads go to the replica while it is at most this many seconds behind. Default 5.
    public var replicaMaxLagSeconds: Int = 5
    /// A unit that wrote (a request stored or a job accepted) within this many seconds reads from the
    /// primary. Default 60.
    public var replicaOwnWritesSeconds: Int = 60

    public init(
        host: String = "127.0.0.1", port: Int = 8080, identityKeys: IdentityKeySource, tokenIssuer: String,
        tokenAudience: String = DevelopmentIssuer.defaultAudience,
        attachmentPolicy: AttachmentPolicy = AttachmentPolicy(), publishConfirmTimeoutSeconds: Int = 5,
        databasePoolSize: Int = 8, relay: RelaySettings = RelaySettings()
    ) {
        self.host = host
        self.port = port
        self.identityKeys = identityKeys
        self.servicePublicKeyPEM = nil
        self.tokenIssuer = tokenIssuer
        self.tokenAudience = tokenAudience
        self.attachmentPolicy = attachmentPolicy
        self.publishConfirmTimeoutSeconds = publishConfirmTimeoutSeconds
        self.databasePoolSize = databasePoolSize
        self.relay = relay
    }
}
