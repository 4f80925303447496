import Foundation

/// A request's idempotency key (`Idempotency-Key` header, 1–255 printable ASCII characters), whom it
/// belongs to and the hash of what the request asks for.
public struct IdempotencyKey: Sendable, Hashable {
    /// `unit:<unified social credit code>` or `service:<name>`: keys of different callers never meet.
    public var caller: String
    public var key: String
    /// SHA-256 (hex) over what identifies the request (operation, target, body): a key reused for
    /// another request is refused.
    public var requestHash: String

    public init(caller: String, key: String, requestHash: String) {
        self.caller = caller
        self.key = key
        self.requestHash = requestHash
    }
}

/// The state of an idempotency key's first request.
public struct IdempotentReplay: Sendable, Hashable {
    public var requestHash: String
    /// The attachment or association the first request was about.
    public var subjectId: UUID?
    public var jobId: UUID?
    /// Set once the first request was answered (its job confirmed by the broker).
    public var responseStatus: Int?
    public var responseBody: String?
    public var responseLocation: String?
}
