import Foundation
import TalentAPI
import TalentClient
import TalentCore
import TalentGateway
import TalentStore
import TalentTestSupport
import Testing

/// The HTTP contract: authentication, tenant isolation, validation errors, listing, deletion.
@Suite("Gateway API", .serialized)
struct GatewayAPITests {
    static let documentURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("schemas/openapi.json")

    /// The reply's body conforms to the documented schema: `Error` for 4xx/5xx, `name` otherwise.
    static func expectConforms(
        _ reply: GatewayClient.Reply, _ name: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let schema = reply.status >= 400 ? "Error" : name
        guard let document = try? OpenAPIDocument(url: documentURL) else {
            Issue.record("schemas/openapi.json is unreadable", sourceLocation: sourceLocation)
            return
        }
        let problems = document.problems(of: reply.body, against: schema)
        #expect(
            problems == [], "\(schema): \(String(decoding: reply.body, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    static func corpusFile(_ name: String, system: TestSystem) throws -> Data {
        try Data(contentsOf: system.environment.corpusDirectory.appendingPathComponent("files/\(name)"))
    }

    /// Any accepted file of the given extension from the corpus manifest.
    static func acceptedSample(_ ext: String, system: TestSystem) throws -> Data {
        let manifest = try ManifestFile.load(
            system.environment.corpusDirectory.appendingPathComponent("manifest.tsv").path)
        let name = try #require(
            manifest.expectations.filter { $0.key.hasSuffix(".\(ext)") && $0.value.verdict == "accepted" }.keys.sorted()
                .first)
        return try corpusFile(name, system: system)
    }

    static func waitForVerdict(_ client: GatewayClient, _ id: UUID, system: TestSystem) async throws -> AttachmentRecord
    {
        var record: AttachmentRecord?
        _ = try await system.wait(timeout: .seconds(60)) {
            record = try await client.attachment(id)
            return record.map { $0.status != .pending } ?? false
        }
        return try #require(record)
    }

    @Test func requestsWithoutAValidTokenAreRefused() async throws {
        let system = try await SharedSystem.instance.get()
        let anonymous = GatewayClient(baseURL: system.baseURL, token: "")
        let missing = try await anonymous.send("GET", "/v1/attachments", authorised: false)
        #expect(missing.status == 401)
        Self.expectConforms(missing, "Error")
        #expect(missing.errorCode == "unauthenticated")

        let unsigned = try await Self.unsignedToken(unit: Fixtures.unit(3).rawValue)
        for (token, code) in [
            ("garbage", "token_malformed"), ("a.b.c", "token_malformed"), (unsigned, "token_algorithm"),
        ] {
            let reply = try await GatewayClient(baseURL: system.baseURL, token: token).send("GET", "/v1/attachments")
            #expect(reply.status == 401)
            Self.expectConforms(reply, "Error")
            #expect(reply.errorCode == code)
        }
        let expired = try await system.token(unit: Fixtures.unit(3).rawValue, lifetime: -3600)
        let expiredReply = try await GatewayClient(baseURL: system.baseURL, token: expired).send(
            "GET", "/v1/attachments")
        #expect(expiredReply.status == 401)
        #expect(expiredReply.errorCode == "token_expired")
        let badUnit = try await system.token(unit: "91350100M000100Y44")
        let badUnitReply = try await GatewayClient(baseURL: system.baseURL, token: badUnit).send(
            "GET", "/v1/attachments")
        #expect(badUnitReply.errorCode == "token_malformed")

        // Signed by a key the gateway does not trust: its kid is not in the identity platform's JWKS.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        let stranger = try await DevelopmentIssuer(
            privateKeyPath: directory.appendingPathComponent("p.pem").path,
            publicKeyPath: directory.appendingPathComponent("q.json").path)
        let foreign = try await stranger.mint(unit: Fixtures.unit(3).rawValue)
        #expect(
            try await GatewayClient(baseURL: system.baseURL, token: foreign).send("GET", "/v1/attachments").errorCode
                == "token_unknown_key")
        // The same claims and key under a trusted key's kid: the signature does not verify.
        let trusted = try await system.token(unit: Fixtures.unit(3).rawValue).split(separator: ".")
        let forged = foreign.split(separator: ".")
        #expect(
            try await GatewayClient(baseURL: system.baseURL, token: "\(trusted[0]).\(forged[1]).\(forged[2])").send(
                "GET", "/v1/attachments"
            ).errorCode == "token_signature")
    }

    /// An `alg: none` token with otherwise valid claims.
    static func unsignedToken(unit: String) async throws -> String {
        func base64URL(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let header = base64URL(Data(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let exp = Int(Date().timeIntervalSince1970) + 3600
        let payload = base64URL(
            Data(
                """
                {"iss":"\(DevelopmentIssuer.defaultIssuer)","aud":"\(DevelopmentIssuer.defaultAudience)","sub":"x",\
                "exp":\(exp),"iat":\(exp - 3600),"unit":"\(unit)","login_method":"certificate"}
                """.utf8))
        return "\(header).\(payload)."
    }

    @Test func aUnitSeesAndChangesOnlyItsOwnAttachments() async throws {
        let system = try await SharedSystem.instance.get()
        let owner = try await system.client(unit: Fixtures.unit(10))
        let other = try await system.client(unit: Fixtures.unit(11))
        let reply = try await owner.upload(
            try Self.acceptedSample("png", system: system), fileName: "mine.png", kind: .other)
        #expect(reply.status == 202)
        let accepted = try reply.decode(UploadAccepted.self)
        let id = accepted.attachment.id.uuidString.lowercased()
        let jobId = accepted.job.id.uuidString.lowercased()

        for (method, path) in [
            ("GET", "/v1/attachments/\(id)"), ("DELETE", "/v1/attachments/\(id)"), ("GET", "/v1/jobs/\(jobId)"),
        ] {
            let foreign = try await other.send(method, path)
            #expect(foreign.status == 404, "\(method) \(path)")
            #expect(foreign.errorCode == "not_found")
            // Indistinguishable from a target that does not exist at all.
            let absent = try await other.send(
                method, path.replacingOccurrences(of: id, with: UUID().uuidString.lowercased()))
            #expect(absent.status == 404)
            #expect(absent.body == foreign.body || path.contains("/jobs/"))
        }
        let otherList = try await other.send("GET", "/v1/attachments").decode(AttachmentPage.self)
        #expect(!otherList.items.contains { $0.id == accepted.attachment.id })
        #expect(try await owner.send("GET", "/v1/attachments/\(id)").status == 200)
    }

    @Test func invalidRequestsGetSpecificErrors() async throws {
        let system = try await SharedSystem.instance.get()
        let client = try await system.client(unit: Fixtures.unit(12))
        let png = try Self.acceptedSample("png", system: system)
        let cases: [(String, String, Data?, Int, String)] = [
            ("POST", "/v1/attachments?fileName=a.png", png, 400, "missing_parameter"),
            ("POST", "/v1/attachments?kind=passport&fileName=a.png", png, 400, "invalid_parameter"),
            ("POST", "/v1/attachments?kind=other", png, 400, "missing_parameter"),
            ("POST", "/v1/attachments?kind=other&fileName=..%2Fetc%2Fpasswd", png, 400, "invalid_parameter"),
            ("POST", "/v1/attachments?kind=other&fileName=a%00.png", png, 400, "invalid_parameter"),
            ("POST", "/v1/attachments?kind=other&fileName=big.pdf", Data(count: 5 * 1024 * 1024 + 1), 413, "too_large"),
            ("GET", "/v1/attachments/not-a-uuid", nil, 400, "invalid_parameter"),
            ("GET", "/v1/jobs/not-a-uuid", nil, 400, "invalid_parameter"),
            ("GET", "/v1/attachments?limit=0", nil, 400, "invalid_parameter"),
            ("GET", "/v1/attachments?limit=abc", nil, 400, "invalid_parameter"),
            ("GET", "/v1/attachments?kind=passport", nil, 400, "invalid_parameter"),
            ("GET", "/v1/nothing-here", nil, 404, "route_not_found"),
            ("PUT", "/v1/attachments", nil, 405, "method_not_allowed"),
            ("PATCH", "/v1/jobs/\(UUID().uuidString)", nil, 405, "method_not_allowed"),
        ]
        for (method, path, body, status, code) in cases {
            let reply = try await client.send(method, path, body: body)
            #expect(reply.status == status, "\(method) \(path)")
            Self.expectConforms(reply, "Error")
            #expect(reply.errorCode == code, "\(method) \(path): \(String(decoding: reply.body, as: UTF8.self))")
        }
        // Nothing was stored for the refused uploads.
        let page = try await client.send("GET", "/v1/attachments").decode(AttachmentPage.self)
        #expect(page.total == 0)
    }

    @Test func listSearchReadAndDelete() async throws {
        let system = try await SharedSystem.instance.get()
        let client = try await system.client(unit: Fixtures.unit(13))
        let uploads: [(String, AttachmentKind, Data)] = [
            ("营业执照-2026.pdf", .businessLicence, try Self.acceptedSample("pdf", system: system)),
            ("handler-authorisation.png", .handlerAuthorisation, try Self.acceptedSample("png", system: system)),
            ("qualification_100%.jpg", .qualificationCertificate, try Self.acceptedSample("jpg", system: system)),
        ]
        var ids: [String: UUID] = [:]
        for (name, kind, bytes) in uploads {
            let reply = try await client.upload(bytes, fileName: name, kind: kind)
            #expect(reply.status == 202)
            Self.expectConforms(reply, "UploadAccepted")
            #expect(reply.headers["location"]?.hasPrefix("/v1/jobs/") == true)
            let accepted = try reply.decode(UploadAccepted.self)
            #expect(accepted.attachment.status == .pending)
            #expect(accepted.job.status == .queued)
            ids[name] = accepted.attachment.id
            let record = try await Self.waitForVerdict(client, accepted.attachment.id, system: system)
            #expect(record.status == .accepted)
            #expect(record.fileName == name)
            let job = try await client.send("GET", "/v1/jobs/\(accepted.job.id.uuidString.lowercased())").decode(
                JobRecord.self)
            #expect(job.status == .succeeded)
        }
        func names(_ query: String) async throws -> [String] {
            try await client.send("GET", "/v1/attachments\(query)").decode(AttachmentPage.self).items.map(
                \.fileName)
        }
        #expect(try await names("").count == 3)
        #expect(try await names("?search=%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7") == ["营业执照-2026.pdf"])
        #expect(try await names("?search=authorisaton") == ["handler-authorisation.png"])  // misspelled: trigram match
        #expect(try await names("?search=100%25") == ["qualification_100%.jpg"])  // % is literal
        #expect(try await names("?kind=business_licence") == ["营业执照-2026.pdf"])
        let page = try await client.send("GET", "/v1/attachments?limit=2&offset=2").decode(
            AttachmentPage.self)
        #expect(page.total == 3)
        #expect(page.items.count == 1)

        let id = try #require(ids["handler-authorisation.png"]).uuidString.lowercased()
        #expect(try await client.send("DELETE", "/v1/attachments/\(id)").status == 204)
        #expect(try await client.send("GET", "/v1/attachments/\(id)").status == 404)
        #expect(try await client.send("DELETE", "/v1/attachments/\(id)").status == 404)
        #expect(try await names("").count == 2)
    }

    /// Every login is recorded once (PRODUCT.md §1): per token, however many requests it makes.
    @Test func loginsAreRecordedOncePerToken() async throws {
        let system = try await SharedSystem.instance.get()
        let unit = Fixtures.unit(1, salt: "L")
        func count() async throws -> Int {
            try await system.rows(
                "SELECT count(*) AS n FROM logins WHERE unit_id = $1 AND login_method = 'certificate'", [unit.rawValue]
            ).first?.int("n") ?? -1
        }
        let first = GatewayClient(baseURL: system.baseURL, token: try await system.token(unit: unit.rawValue))
        for _ in 0..<3 { #expect(try await first.send("GET", "/v1/attachments").status == 200) }
        #expect(try await count() == 1)
        let second = GatewayClient(baseURL: system.baseURL, token: try await system.token(unit: unit.rawValue))
        #expect(try await second.send("GET", "/v1/employee-summary").status == 200)
        #expect(try await count() == 2)
        let refused = GatewayClient(baseURL: system.baseURL, token: "not-a-token")
        #expect(try await refused.send("GET", "/v1/attachments").status == 401)
        #expect(try await count() == 2)
        // The four login methods (manual §1), each recorded with its operator.
        let unitB = Fixtures.unit(2, salt: "L")
        for method in LoginMethod.allCases {
            let token = try await system.token(
                unit: unitB.rawValue, operatorId: "op-\(method.rawValue)", loginMethod: method)
            #expect(
                try await GatewayClient(baseURL: system.baseURL, token: token).send("GET", "/v1/unit").status == 200)
        }
        let recorded = try await system.rows(
            "SELECT login_method, operator_id FROM logins WHERE unit_id = $1 ORDER BY login_method", [unitB.rawValue])
        let pairs = try recorded.rows.map {
            "\(try $0.requiredString("login_method")) \(try $0.requiredString("operator_id"))"
        }
        #expect(pairs == LoginMethod.allCases.map(\.rawValue).sorted().map { "\($0) op-\($0)" })
    }

    @Test func healthEndpoints() async throws {
        let system = try await SharedSystem.instance.get()
        let client = GatewayClient(baseURL: system.baseURL, token: "")
        let live = try await client.send("GET", "/health/live", authorised: false)
        #expect(live.status == 200)
        Self.expectConforms(live, "Health")
        let ready = try await client.send("GET", "/health/ready", authorised: false)
        Self.expectConforms(ready, "Health")
        #expect(ready.status == 200)
        #expect(String(decoding: ready.body, as: UTF8.self).contains(#""database":"ok""#))
    }
}

@Suite("Gateway idempotency", .serialized)
struct GatewayIdempotencyTests {
    /// A retried upload with the same `Idempotency-Key` returns the first response and publishes no
    /// second job; concurrent retries too; the key with another request is refused.
    @Test func retriesReturnTheFirstResponse() async throws {
        let system = try await SharedSystem.instance.get()
        let unit = Fixtures.unit(20)
        let client = try await system.client(unit: unit)
        let png = try GatewayAPITests.acceptedSample("png", system: system)
        let key = "upload-\(UUID().uuidString)"
        func upload(_ bytes: Data, name: String = "same.png", key: String) async throws -> GatewayClient.Reply {
            var components = URLComponents()
            components.queryItems = [
                URLQueryItem(name: "kind", value: "other"), URLQueryItem(name: "fileName", value: name),
            ]
            return try await client.send(
                "POST", "/v1/attachments?\(components.percentEncodedQuery!)", body: bytes,
                headers: ["Idempotency-Key": key])
        }
        let first = try await upload(png, key: key)
        #expect(first.status == 202)
        let retries = try await withThrowingTaskGroup(of: GatewayClient.Reply.self) { group in
            for _ in 0..<5 { group.addTask { try await upload(png, key: key) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for retry in retries {
            #expect(retry.status == 202)
            #expect(retry.body == first.body)
            #expect(retry.headers["location"] == first.headers["location"])
        }
        let jobs = try await system.rows("SELECT count(*) AS n FROM jobs WHERE unit_id = $1", [unit.rawValue])
        #expect(try jobs.first?.int("n") == 1)

        let reused = try await upload(png, name: "other-name.png", key: key)
        #expect(reused.status == 409)
        #expect(reused.errorCode == "idempotency_key_reused")
        GatewayAPITests.expectConforms(reused, "Error")

        let invalid = try await upload(png, key: "has space")
        #expect(invalid.status == 400)
        #expect(invalid.errorCode == "invalid_parameter")

        // Concurrent first requests with a fresh key: exactly one job.
        let freshKey = "upload-\(UUID().uuidString)"
        let racing = try await withThrowingTaskGroup(of: GatewayClient.Reply.self) { group in
            for _ in 0..<6 { group.addTask { try await upload(png, name: "race.png", key: freshKey) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(racing.allSatisfy { $0.status == 202 || $0.errorCode == "idempotency_in_progress" })
        #expect(racing.contains { $0.status == 202 })
        let raceJobs = try await system.rows(
            """
            SELECT count(*) AS n FROM jobs j JOIN attachments a ON a.id = j.subject_id
            WHERE j.unit_id = $1 AND a.file_name = 'race.png'
            """, [unit.rawValue])
        #expect(try raceJobs.first?.int("n") == 1)
    }

    /// Decisions, association requests and deletes honour the key too: a retry after a lost answer
    /// gets the first answer (not `409 not_pending`, `409 already_exists` or `404`), one job is stored,
    /// and keys of different callers never meet.
    @Test func everyStateChangeReplaysTheFirstAnswer() async throws {
        let system = try await SharedSystem.instance.get()
        let unit = Fixtures.unit(21)
        let client = try await system.client(unit: unit)
        let code = try await system.completeProfile(unit: unit)
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let service = try await system.serviceClient()
        let submission = try JSONEncoder().encode(
            AssociationRequestSubmission(associationCode: code, person: population.person()))
        func post(_ client: GatewayClient, _ path: String, _ body: Data, key: String) async throws
            -> GatewayClient.Reply
        {
            try await client.send(
                "POST", path, body: body, headers: ["Content-Type": "application/json", "Idempotency-Key": key])
        }
        let requestKey = "request-\(UUID().uuidString)"
        let requested = try await post(service, "/v1/service/association-requests", submission, key: requestKey)
        #expect(requested.status == 202)
        let accepted = try requested.decode(AssociationJobAccepted.self)
        #expect(try await client.finishedJob(accepted.job.id)?.status == .succeeded)
        // The retry after the request was applied: the first answer, not already_exists.
        let requestRetry = try await post(service, "/v1/service/association-requests", submission, key: requestKey)
        #expect(requestRetry.status == 202)
        #expect(requestRetry.body == requested.body)
        #expect(requestRetry.headers["location"] == requested.headers["location"])

        let approval = try JSONEncoder().encode(population.approval())
        let path = "/v1/association-requests/\(accepted.associationId.uuidString.lowercased())/approval"
        let approveKey = "approve-\(UUID().uuidString)"
        let approved = try await post(client, path, approval, key: approveKey)
        #expect(approved.status == 202)
        let approvalJob = try approved.decode(AssociationJobAccepted.self).job.id
        #expect(try await client.finishedJob(approvalJob)?.status == .succeeded)
        let approveRetry = try await post(client, path, approval, key: approveKey)
        #expect(approveRetry.status == 202, "\(String(decoding: approveRetry.body, as: UTF8.self))")
        #expect(try approveRetry.decode(AssociationJobAccepted.self).job.id == approvalJob)
        // Without the key the same approval is judged afresh: the request is no longer pending.
        let unkeyed = try await client.send("POST", path, body: approval, headers: ["Content-Type": "application/json"])
        #expect(unkeyed.status == 409)
        #expect(unkeyed.errorCode == "not_pending")
        // The key with another body is refused.
        let other = try JSONEncoder().encode(population.approval())
        #expect(try await post(client, path, other, key: approveKey).errorCode == "idempotency_key_reused")
        let jobs = try await system.rows(
            "SELECT count(*) AS n FROM jobs WHERE subject_id = $1::uuid", [accepted.associationId.uuidString])
        #expect(try jobs.first?.int("n") == 2)

        // The same key from another caller is another key.
        let otherUnit = try await system.client(unit: Fixtures.unit(22))
        let foreign = try await post(otherUnit, path, approval, key: approveKey)
        #expect(foreign.status == 404)

        // A delete retried after its 204 is 204 again.
        let png = try GatewayAPITests.acceptedSample("png", system: system)
        let upload = try await client.upload(png, fileName: "delete-me.png", kind: .other)
        let attachment = try upload.decode(UploadAccepted.self).attachment.id.uuidString.lowercased()
        let deleteKey = ["Idempotency-Key": "delete-\(UUID().uuidString)"]
        #expect(try await client.send("DELETE", "/v1/attachments/\(attachment)", headers: deleteKey).status == 204)
        #expect(try await client.send("DELETE", "/v1/attachments/\(attachment)", headers: deleteKey).status == 204)
        #expect(try await client.send("DELETE", "/v1/attachments/\(attachment)").status == 404)
    }
}
