import AMQPClient
import Foundation
import HTTPTypes
import Hummingbird
import JobQueue
import Logging
import TalentAPI
import TalentCore
import TalentStore

/// Attachment management (附件管理, PRODUCT.md §3 / manual §4): upload, list with fuzzy search, read,
/// delete — all scoped to the unit in the token.
struct AttachmentRoutes: Sendable {
    let attachments: AttachmentStore
    let jobs: JobStore
    let submitter: JobSubmitter
    let policy: AttachmentPolicy

    /// Longest accepted file name, in characters.
    static let maxFileNameLength = 255

    /// `POST /v1/attachments?kind=…&fileName=…` with the file's bytes as the body. Answers 202 once
    /// the validation job is stored and the broker has confirmed its message.
    func upload(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let kindText = try request.requiredQuery("kind")
        guard let kind = AttachmentKind(rawValue: kindText) else {
            throw GatewayError(
                .invalidParameter,
                "kind must be one of \(AttachmentKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let fileName = try Self.validFileName(try request.requiredQuery("fileName"))
        let limit = policy.maxBytes(for: kind)
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch {
            throw GatewayError(.tooLarge, "the file exceeds \(limit) bytes, the limit for \(kind.rawValue)")
        }
        let bytes = Array(buffer: body)
        let idempotencyKey = try Self.idempotencyKey(request, kind: kind, fileName: fileName, bytes: bytes)
        let newAttachment = NewAttachment(
            unitId: identity.unitId, unitName: identity.unitName, kind: kind, fileName: fileName, content: bytes)
        let message = try JobEnvelope(
            AttachmentValidationJob(
                jobId: UUID(), unitId: identity.unitId, attachmentId: newAttachment.id, requestedAt: Date()))
        let (creation, stored) = try await submitter.store(message, unitName: identity.unitName) { connection in
            let creation = try AttachmentStore.create(
                newAttachment, jobId: message.jobId, idempotencyKey: idempotencyKey, on: connection)
            guard case .created(let attachment) = creation else { return (creation, nil, false) }
            return (creation, attachment.id, true)
        }
        let attachment: AttachmentRecord
        switch creation {
        case .replay(let replay):
            return try await self.replay(replay, key: idempotencyKey, identity: identity)
        case .created(let createdAttachment):
            attachment = createdAttachment
        }
        guard var job = stored else { throw GatewayError(.internal, "internal error") }
        if let processed = try await submitter.publish(
            message, logger: context.logger,
            undo: { connection in try AttachmentStore.deleteUnpublished(attachmentId: attachment.id, on: connection) })
        {
            job = processed
        }
        let response = Self.accepted(UploadAccepted(attachment: attachment, job: job))
        if let idempotencyKey {
            // If this write is lost, a retry rebuilds the answer from the records (see `replay`).
            try? await attachments.recordIdempotentResponse(
                unitId: identity.unitId, key: idempotencyKey.key, status: 202, body: response.body)
        }
        return response.response
    }

    /// The 202 answer: body and `Location` of the job.
    static func accepted(_ value: UploadAccepted) -> (response: Response, body: String) {
        let body = JSONResponse.encode(value)
        var headers = HTTPFields()
        headers[.location] = "/v1/jobs/\(value.job.id.uuidString.lowercased())"
        return (JSONResponse.make(status: .accepted, rawJSON: body, headers: headers), body)
    }

    /// Answers a retried request whose `Idempotency-Key` was used before.
    /// - Throws: `idempotency_key_reused` (422) when the key came with another request;
    ///   `idempotency_in_progress` (409) while the first request has not been answered yet.
    func replay(_ replay: IdempotentReplay, key: IdempotencyKey?, identity: UnitIdentity) async throws -> Response {
        guard replay.requestHash == key?.requestHash else {
            throw GatewayError(.idempotencyKeyReused, "this Idempotency-Key was used for a different request")
        }
        if replay.responseStatus == 202, let body = replay.responseBody,
            let first = try? JSONDecoder().decode(UploadAccepted.self, from: Data(body.utf8))
        {
            return Self.accepted(first).response
        }
        // The first request is still publishing, or its answer was not recorded: rebuild the answer
        // once the job is known to be published.
        if let attachmentId = replay.attachmentId, let jobId = replay.jobId,
            let job = try await store({ [jobs] in try await jobs.job(id: jobId, unitId: identity.unitId) }),
            job.publishedAt != nil,
            let attachment = try await store({ [attachments] in
                try await attachments.attachment(id: attachmentId, unitId: identity.unitId)
            })
        {
            return Self.accepted(UploadAccepted(attachment: attachment, job: job)).response
        }
        throw GatewayError(
            .idempotencyInProgress, "the first request with this Idempotency-Key is still in progress",
            retryAfterSeconds: 1)
    }

    /// The `Idempotency-Key` header (1–255 printable ASCII characters), with the hash of the request
    /// it names (kind, file name, SHA-256 of the bytes).
    static func idempotencyKey(_ request: Request, kind: AttachmentKind, fileName: String, bytes: [UInt8])
        throws(GatewayError) -> IdempotencyKey?
    {
        guard let key = request.headers[idempotencyKeyField] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw GatewayError(.invalidParameter, "Idempotency-Key must be 1–255 printable ASCII characters")
        }
        let content = SHA256Hex.of(bytes)
        let identity = Array("\(kind.rawValue)\n\(fileName)\n\(content)".utf8)
        return IdempotencyKey(
            key: key, requestHash: SHA256Hex.of(identity))
    }

    static let idempotencyKeyField = HTTPField.Name("Idempotency-Key")!

    /// `GET /v1/attachments?search=&kind=&limit=&offset=`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let limit = try request.integerQuery("limit", default: 20, range: 1...100)
        let offset = try request.integerQuery("offset", default: 0, range: 0...1_000_000)
        let kindText = request.optionalQuery("kind")
        let kind = kindText.flatMap(AttachmentKind.init(rawValue:))
        if kindText != nil && kind == nil { throw GatewayError(.invalidParameter, "unknown attachment kind") }
        let search = request.optionalQuery("search").flatMap { $0.isEmpty ? nil : $0 }
        if let search, search.count > 100 {
            throw GatewayError(.invalidParameter, "search is limited to 100 characters")
        }
        let page = try await store { [attachments] in
            try await attachments.list(
                unitId: identity.unitId, search: search, kind: kind, limit: limit, offset: offset)
        }
        return JSONResponse.make(
            status: .ok, AttachmentPage(items: page.items, total: page.total, limit: limit, offset: offset))
    }

    /// `GET /v1/attachments/{attachmentId}`: status, verdict, reasons.
    func get(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.uuidParameter("attachmentId")
        guard
            let record = try await store({ [attachments] in
                try await attachments.attachment(id: id, unitId: identity.unitId)
            })
        else { throw GatewayError(.notFound, "no such attachment") }
        return JSONResponse.make(status: .ok, record)
    }

    /// `DELETE /v1/attachments/{attachmentId}`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.uuidParameter("attachmentId")
        guard try await store({ [attachments] in try await attachments.delete(id: id, unitId: identity.unitId) }) else {
            throw GatewayError(.notFound, "no such attachment")
        }
        return Response(status: .noContent)
    }

    /// A file name as given by the unit: 1…255 characters (Unicode scalars, as JSON Schema counts),
    /// no control characters (C0, DEL, C1), no path.
    static func validFileName(_ name: String) throws(GatewayError) -> String {
        guard name.unicodeScalars.count <= maxFileNameLength else {
            throw GatewayError(.invalidParameter, "fileName is limited to \(maxFileNameLength) characters")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
            !name.contains("/"), !name.contains("\\"), name != ".", name != ".."
        else { throw GatewayError(.invalidParameter, "fileName must be a plain file name") }
        return name
    }
}

/// Runs a storage call, turning database failures into 503 `unavailable` (details are logged by the
/// error middleware's caller, never sent).
func store<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as GatewayError {
        throw error
    } catch {
        Logger(label: "talent-gateway").error("storage failed", metadata: ["error": "\(String(reflecting: error))"])
        throw GatewayError(.unavailable, "storage is unavailable; retry later", retryAfterSeconds: 5)
    }
}
