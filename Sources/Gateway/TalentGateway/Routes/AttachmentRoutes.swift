import AMQPClient
import Foundation
import HTTPTypes
import Hummingbird
import JobQueue
import Logging
import PostgresClient
import TalentAPI
import TalentCore
import TalentStore

/// Attachment management (附件管理, PRODUCT.md §3 / manual §4): upload, list with fuzzy search, read,
/// delete — all scoped to the unit in the token.
struct AttachmentRoutes: Sendable {
    let attachments: AttachmentStore
    /// Where the list runs (it may lag: the replica when fresh).
    let reads: ReadRouting
    let jobs: JobStore
    let submitter: JobSubmitter
    let policy: AttachmentPolicy
    let idempotency: IdempotentRequests
    let waiter: PreferWait
    let admission: QueueAdmission

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
        let idempotencyKey = try IdempotentRequests.key(
            request, caller: identity.caller, identifying: Array("\(kind.rawValue)\n\(fileName)\n".utf8) + bytes)
        // A retry of an accepted upload gets its first answer even while the kind is backlogged.
        if let earlier = try await idempotency.earlierAnswer(idempotencyKey, rebuild: rebuild(identity)) {
            return earlier
        }
        try admission.admit(.attachmentValidation)
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
            guard let idempotencyKey else { throw GatewayError(.internal, "internal error") }
            return try await idempotency.answer(replay, key: idempotencyKey, rebuild: rebuild(identity))
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
        await idempotency.record(
            idempotencyKey, status: 202, body: response.body, location: response.response.headers[.location])
        guard let wait = PreferWait.seconds(request), let finished = await waiter.finished(job.id, within: wait),
            let judged = try? await attachments.attachment(id: attachment.id, unitId: identity.unitId)
        else { return response.response }
        return PreferWait.applied(
            wait, status: .ok, rawJSON: JSONResponse.encode(UploadAccepted(attachment: judged, job: finished)),
            headers: response.response.headers)
    }

    /// The first `202` of a keyed upload, from its records (the recorded answer was lost).
    func rebuild(_ identity: UnitIdentity) -> @Sendable (IdempotentReplay, JobRecord) async throws -> Response? {
        { [attachments] replay, job in
            guard let id = replay.subjectId,
                let attachment = try await attachments.attachment(id: id, unitId: identity.unitId)
            else { return nil }
            return Self.accepted(UploadAccepted(attachment: attachment, job: job)).response
        }
    }

    /// The 202 answer: body and `Location` of the job.
    static func accepted(_ value: UploadAccepted) -> (response: Response, body: String) {
        let body = JSONResponse.encode(value)
        var headers = HTTPFields()
        headers[.location] = "/v1/jobs/\(value.job.id.uuidString.lowercased())"
        return (JSONResponse.make(status: .accepted, rawJSON: body, headers: headers), body)
    }

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
        let page = try await store { [reads] in
            try await reads.read(unit: identity.unitId) { pool in
                try await AttachmentStore(pool: pool).list(
                    unitId: identity.unitId, search: search, kind: kind, limit: limit, offset: offset)
            }
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

    /// `DELETE /v1/attachments/{attachmentId}`; with an `Idempotency-Key`, a retry after the first
    /// `204` is answered `204` again (not `404`).
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.uuidParameter("attachmentId")
        let key = try IdempotentRequests.key(request, caller: identity.caller, identifying: [])
        let noRebuild: @Sendable (IdempotentReplay, JobRecord) async throws -> Response? = { _, _ in nil }
        if let earlier = try await idempotency.earlierAnswer(key, rebuild: noRebuild) { return earlier }
        let outcome = try await store { [attachments] in
            try await attachments.delete(id: id, unitId: identity.unitId) { connection in
                guard let key else { return nil }
                return try IdempotencyStore.claim(
                    key, unitId: identity.unitId.rawValue, subjectId: id, jobId: nil,
                    response: (status: 204, body: "", location: nil), on: connection)
            }
        }
        switch outcome {
        case .deleted: return Response(status: .noContent)
        case .missing: throw GatewayError(.notFound, "no such attachment")
        case .inUse:
            throw GatewayError(
                .attachmentInUse,
                "the unit's profile names this attachment; replace it in the attachments step and submit first")
        case .replay(let replay):
            guard let key else { throw GatewayError(.internal, "internal error") }
            return try await idempotency.answer(replay, key: key, rebuild: noRebuild)
        }
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
