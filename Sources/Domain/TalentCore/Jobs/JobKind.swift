/// The job kinds, one queue each (PRODUCT.md §2).
public enum JobKind: String, CaseIterable, Codable, Sendable {
    case attachmentValidation = "attachment.validation"

    /// The routing key jobs of this kind are published with; also the work queue's name.
    public var routingKey: String { rawValue }
}
