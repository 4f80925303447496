import Foundation
import PostgresClient
import TalentAPI
import TalentClient
import TalentCore
import TalentGateway
import TalentStore
import TalentTestSupport
import Testing

/// The employee-association lifecycle through the real gateway, broker and worker (manual §5).
@Suite("Associations")
struct AssociationAPITests {
    struct Unit {
        let client: GatewayClient
        let code: String
        let id: UnifiedSocialCreditCode
    }

    static func unit(_ n: Int) async throws -> Unit {
        let system = try await SharedSystem.instance.get()
        let id = Fixtures.unit(n, salt: "A")
        let client = try await system.client(unit: id)
        // The association code is usable once the profile is complete.
        let code = try await system.completeProfile(unit: id)
        return Unit(client: client, code: code, id: id)
    }

    /// Submits requests through the service endpoint and waits until they are pending.
    static func request(_ people: [PersonProfile], to unit: Unit) async throws -> [UUID] {
        let service = try await SharedSystem.instance.get().serviceClient()
        var ids: [(UUID, UUID)] = []
        for person in people {
            let reply = try await service.send(
                "POST", "/v1/service/association-requests",
                json: AssociationRequestSubmission(associationCode: unit.code, person: person))
            #expect(reply.status == 202, "\(String(decoding: reply.body, as: UTF8.self))")
            let accepted = try reply.decode(AssociationJobAccepted.self)
            ids.append((accepted.associationId, accepted.job.id))
        }
        for (_, job) in ids {
            let finished = try await unit.client.finishedJob(job)
            #expect(finished?.status == .succeeded, "request job \(job): \(String(describing: finished))")
        }
        return ids.map(\.0)
    }

    static func decide(_ unit: Unit, _ method: String, _ path: String, _ body: some Encodable) async throws
        -> (status: Int, job: JobRecord?, reply: GatewayClient.Reply)
    {
        let reply = try await unit.client.send(method, path, json: body)
        guard reply.status == 202 else { return (reply.status, nil, reply) }
        let accepted = try reply.decode(AssociationJobAccepted.self)
        return (202, try await unit.client.finishedJob(accepted.job.id), reply)
    }

    static func employee(_ unit: Unit, _ id: UUID) async throws -> EmployeeDetail {
        try await unit.client.send("GET", "/v1/employees/\(id.uuidString.lowercased())").decode(EmployeeDetail.self)
    }

    @Test func fullLifecycle() async throws {
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let unit = try await Self.unit(1)
        let person = population.person()
        let id = try #require(try await Self.request([person], to: unit).first)
        let pending = try await unit.client.send("GET", "/v1/association-requests").decode(Page<PendingRequest>.self)
        #expect(pending.items.map(\.associationId) == [id])
        let number = try ResidentIdentityNumber(validating: person.residentId, today: CalendarDate.today())
        #expect(pending.items.first?.birthDate == number.birthDate)
        #expect(pending.items.first?.sex == number.sex)

        let approval = population.approval()
        let path = "/v1/association-requests/\(id.uuidString.lowercased())"
        let approved = try await Self.decide(unit, "POST", path + "/approval", approval)
        #expect(approved.job?.status == .succeeded)
        var detail = try await Self.employee(unit, id)
        #expect(detail.state == .active)
        #expect(detail.position == approval.position)
        #expect(detail.contract == approval.contract)
        #expect(detail.education == person.education)
        #expect(detail.workHistory == person.workHistory)
        #expect(detail.history.map(\.action) == [.request, .approve])
        #expect(detail.history.last?.actor == "operator-1")

        // Deciding again is refused at once (the worker would refuse it too).
        let again = try await Self.decide(unit, "POST", path + "/rejection", RejectionForm(reason: "重复"))
        #expect(again.status == 409)
        #expect(again.reply.errorCode == "not_pending")

        let update = PositionUpdateForm(
            position: "高级工程师", department: "研发部",
            contract: LabourContract(kind: .openEnded, startDate: approval.entryDate))
        let employeePath = "/v1/employees/\(id.uuidString.lowercased())"
        let updated = try await Self.decide(unit, "PUT", employeePath + "/position", update)
        #expect(updated.job?.status == .succeeded)
        detail = try await Self.employee(unit, id)
        #expect(detail.position == "高级工程师")
        #expect(detail.contract?.kind == .openEnded)

        // An application in progress blocks unlinking, with the reason.
        let reference = try await BusinessItemFixture.putInProgress(associationId: id, service: .workResidencePermit)
        let check = try await unit.client.send("GET", employeePath + "/unlink-check").decode(UnlinkCheck.self)
        #expect(!check.allowed)
        #expect(check.reasons.map(\.code) == [.applicationInProgress])
        let leave = UnlinkForm(leaveDate: CalendarDate(year: 2026, month: 12, day: 31)!, reason: "合同到期")
        let refused = try await Self.decide(unit, "POST", employeePath + "/unlink", leave)
        #expect(refused.status == 409)
        #expect(refused.reply.errorCode == "unlink_refused")
        #expect(String(decoding: refused.reply.body, as: UTF8.self).contains("application_in_progress"))

        try await BusinessItemFixture.report(reference, unitId: unit.id.rawValue, status: .approved)
        let unlinked = try await Self.decide(unit, "POST", employeePath + "/unlink", leave)
        #expect(unlinked.job?.status == .succeeded)
        detail = try await Self.employee(unit, id)
        #expect(detail.state == .unlinked)
        #expect(detail.leaveDate == leave.leaveDate)
        #expect(detail.history.map(\.action) == [.request, .approve, .updatePosition, .unlink])
        let notActive = try await Self.decide(unit, "POST", employeePath + "/unlink", leave)
        #expect(notActive.status == 409)
        #expect(notActive.reply.errorCode == "not_active")
    }

    /// Two conflicting decisions on one request, 50 times: exactly one wins, the other is refused
    /// with `not_pending` (by the gateway when it can already tell, otherwise by the worker).
    @Test func conflictingDecisionsRace() async throws {
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let unit = try await Self.unit(2)
        let ids = try await Self.request((0..<50).map { _ in population.person() }, to: unit)
        let approval = population.approval()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask {
                    let path = "/v1/association-requests/\(id.uuidString.lowercased())"
                    async let approved = Self.decide(unit, "POST", path + "/approval", approval)
                    async let rejected = Self.decide(unit, "POST", path + "/rejection", RejectionForm(reason: "岗位已满"))
                    let outcomes = try await [approved, rejected]
                    let wins = outcomes.filter { $0.job?.status == .succeeded }.count
                    let refusals = outcomes.filter {
                        $0.reply.errorCode == "not_pending" || $0.job?.errorCode == "not_pending"
                    }.count
                    #expect(wins == 1 && refusals == 1, "\(id): \(outcomes.map { ($0.status, $0.job?.status) })")
                    let detail = try await Self.employee(unit, id)
                    #expect(detail.history.count == 2)
                    #expect((detail.state == .active) == (outcomes[0].job?.status == .succeeded))
                }
            }
            try await group.waitForAll()
        }
        let counts = try await unit.client.send("GET", "/v1/employee-summary")
        let object = try #require(try JSONSerialization.jsonObject(with: counts.body) as? [String: Any])
        #expect(object["pending"] as? Int == 0)
    }

    /// Another unit's association answers exactly like a missing one, on every endpoint.
    @Test func crossTenantAttemptsRevealNothing() async throws {
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let owner = try await Self.unit(3)
        let other = try await Self.unit(4)
        let ids = try await Self.request([population.person(), population.person()], to: owner)
        let pendingId = ids[0].uuidString.lowercased()
        let activeId = ids[1].uuidString.lowercased()
        let approved = try await Self.decide(
            owner, "POST", "/v1/association-requests/\(activeId)/approval", population.approval())
        #expect(approved.job?.status == .succeeded)
        let missing = UUID().uuidString.lowercased()
        let leave = UnlinkForm(leaveDate: CalendarDate(year: 2026, month: 12, day: 31)!, reason: "x")
        for target in [pendingId, activeId, missing] {
            let attempts: [(String, String, (any Encodable)?)] = [
                ("POST", "/v1/association-requests/\(target)/approval", population.approval()),
                ("POST", "/v1/association-requests/\(target)/rejection", RejectionForm(reason: "x")),
                ("GET", "/v1/employees/\(target)", nil),
                ("GET", "/v1/employees/\(target)/unlink-check", nil),
                ("PUT", "/v1/employees/\(target)/position", PositionUpdateForm(position: "x")),
                ("POST", "/v1/employees/\(target)/unlink", leave),
            ]
            for (method, path, body) in attempts {
                let reply =
                    if let body { try await other.client.send(method, path, json: AnyEncodable(body)) } else {
                        try await other.client.send(method, path)
                    }
                #expect(reply.status == 404, "\(method) \(path) as another unit: \(reply.status)")
                #expect(reply.errorCode == "not_found")
            }
        }
        let lists = [
            try await other.client.send("GET", "/v1/association-requests").decode(Page<PendingRequest>.self).total,
            try await other.client.send("GET", "/v1/employees").decode(Page<EmployeeSummary>.self).total,
        ]
        #expect(lists == [0, 0])
        let job = try await other.client.send(
            "GET", "/v1/jobs/\(try #require(approved.job).id.uuidString.lowercased())")
        #expect(job.status == 404)
        #expect(try await Self.employee(owner, ids[1]).state == .active)
    }

    @Test func filtersAndStablePaging() async throws {
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let unit = try await Self.unit(5)
        var people = (0..<23).map { _ in population.person() }
        people[0].name = "欧阳测试"
        people[1].name = "欧阳明"
        let ids = try await Self.request(people, to: unit)
        var seen: [UUID] = []
        for offset in stride(from: 0, to: 30, by: 10) {
            let page = try await unit.client.send("GET", "/v1/association-requests?limit=10&offset=\(offset)")
                .decode(Page<PendingRequest>.self)
            #expect(page.total == 23)
            seen += page.items.map(\.associationId)
        }
        #expect(seen == ids, "pages in request order, each request once")
        func names(_ query: String) async throws -> [String] {
            try await unit.client.send("GET", "/v1/association-requests\(query)").decode(Page<PendingRequest>.self)
                .items
                .map(\.name)
        }
        #expect(try await names("?name=%E6%AC%A7%E9%98%B3").sorted() == ["欧阳明", "欧阳测试"])
        let prefix = String(people[2].residentId.prefix(12))
        #expect(try await names("?residentId=\(prefix)").contains(people[2].name))
        #expect(try await names("?name=&residentId=").count == 20, "empty filters mean all (first page)")
        let today = CalendarDate.today().description
        #expect(try await names("?requestedFrom=\(today)&requestedTo=\(today)&limit=100").count == 23)
        #expect(try await names("?requestedTo=2000-01-01").isEmpty)
        let women = people.filter {
            (try? ResidentIdentityNumber(validating: $0.residentId, today: .today()))?.sex == .female
        }
        #expect(try await names("?sex=female&limit=100").count == women.count)
        let bad = try await unit.client.send("GET", "/v1/association-requests?requestedFrom=2024-02-30")
        #expect(bad.status == 400)
        #expect(bad.errorCode == "invalid_parameter")

        // Employee list: approve five, filter by position.
        for id in ids.prefix(5) {
            let form = ApprovalForm(entryDate: CalendarDate(year: 2025, month: 3, day: 1)!, position: "数据分析师")
            let result = try await Self.decide(
                unit, "POST", "/v1/association-requests/\(id.uuidString.lowercased())/approval", form)
            #expect(result.job?.status == .succeeded)
        }
        let employees = try await unit.client.send("GET", "/v1/employees?position=%E5%88%86%E6%9E%90").decode(
            Page<EmployeeSummary>.self)
        #expect(employees.total == 5)
        #expect(Set(employees.items.map(\.associationId)) == Set(ids.prefix(5)))
    }

    /// Association requests need a service token with the scope and valid data; errors are specific.
    @Test func serviceEndpointChecksCredentialsAndData() async throws {
        let system = try await SharedSystem.instance.get()
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let unit = try await Self.unit(6)
        let submission = AssociationRequestSubmission(associationCode: unit.code, person: population.person())
        let asUnit = try await unit.client.send("POST", "/v1/service/association-requests", json: submission)
        #expect(asUnit.status == 401)
        let unscoped = try await system.serviceClient(scope: "notices").send(
            "POST", "/v1/service/association-requests", json: submission)
        #expect(unscoped.status == 403)
        #expect(unscoped.errorCode == "insufficient_scope")
        let service = try await system.serviceClient()
        var bad = submission
        bad.person.residentId = "１１０１０５１９４９１２３１００２Ｘ"
        bad.person.mobile = "１３８００１３８０００"
        let fullWidth = try await service.send("POST", "/v1/service/association-requests", json: bad)
        #expect(fullWidth.status == 400)
        #expect(fullWidth.errorCode == "invalid_request")
        #expect(
            Set(try Self.fields(fullWidth).map(\.field)) == ["person.residentId", "person.mobile"],
            "\(String(decoding: fullWidth.body, as: UTF8.self))")
        bad = submission
        bad.associationCode = "NOPE2345"
        let unknown = try await service.send("POST", "/v1/service/association-requests", json: bad)
        #expect(unknown.errorCode == "unknown_association_code")
        let malformed = try await service.send(
            "POST", "/v1/service/association-requests", body: Data("{".utf8),
            headers: ["Content-Type": "application/json"])
        #expect(malformed.status == 400)
        #expect(malformed.errorCode == "invalid_body")

        // An unknown province is a warning, not a refusal; the code may be typed in lower case.
        var unusual = population.person()
        unusual.residentId =
            ResidentIdentityNumber.make(
                region: "990101", birthDate: CalendarDate(year: 1990, month: 5, day: 17)!, sequence: 11)!
            .rawValue
        let warned = try await service.send(
            "POST", "/v1/service/association-requests",
            json: AssociationRequestSubmission(associationCode: " " + unit.code.lowercased(), person: unusual))
        #expect(warned.status == 202)
        #expect(try warned.decode(AssociationJobAccepted.self).warnings?.first?.contains("GB/T 2260") == true)

        // A second request while the first is pending is refused at the door: already_exists (the
        // worker checks again under the person's lock, for two requests at once).
        _ = try await Self.request([submission.person], to: unit)
        let second = try await service.send("POST", "/v1/service/association-requests", json: submission)
        #expect(second.status == 409)
        #expect(second.errorCode == "already_exists")
    }

    /// The `fields` of an `invalid_request` answer.
    static func fields(_ reply: GatewayClient.Reply) throws -> [FieldProblem] {
        struct Body: Decodable {
            struct Detail: Decodable { var fields: [FieldProblem]? }
            var error: Detail
        }
        return try JSONDecoder().decode(Body.self, from: reply.body).error.fields ?? []
    }

    /// Everything checkable without the association's lock is refused before `202`, with every failing
    /// field named; nothing is stored or queued for a refused request.
    @Test func formErrorsAreRefusedAtTheDoorNamingEveryField() async throws {
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let unit = try await Self.unit(14)
        let id = try #require(try await Self.request([population.person()], to: unit).first)
        let path = "/v1/association-requests/\(id.uuidString.lowercased())"
        func refused(_ subpath: String, _ json: String, method: String = "POST") async throws -> GatewayClient.Reply {
            try await unit.client.send(
                method, path + subpath, body: Data(json.utf8), headers: ["Content-Type": "application/json"])
        }
        let cases: [(String, String, [String: String])] = [
            ("/rejection", #"{"reason":"\#(String(repeating: "因", count: 600))"}"#, ["reason": "too_long"]),
            ("/rejection", #"{"reason":"   "}"#, ["reason": "empty"]),
            ("/rejection", #"{"reason":"a\u0007b"}"#, ["reason": "control_characters"]),
            (
                "/approval",
                #"{"entryDate":"2025-03-01","position":"\#(String(repeating: "x", count: 101))","contract":{"kind":"fixed_term","startDate":"2025-03-01"}}"#,
                ["position": "too_long", "contract.endDate": "end_date_required"]
            ),
            (
                "/approval",
                #"{"entryDate":"2025-03-01","position":"分析师","contract":{"kind":"open_ended","startDate":"2025-03-01","endDate":"2026-03-01"}}"#,
                ["contract.endDate": "end_date_not_allowed"]
            ),
            ("/approval", #"{"entryDate":"2025-02-30","position":"分析师"}"#, ["entryDate": "invalid_value"]),
            ("/approval", #"{"position":"分析师"}"#, ["entryDate": "required"]),
            ("/approval", #"{"entryDate":"2025-03-01","position":7}"#, ["position": "wrong_type"]),
            ("/approval", #"{"entryDate":"2025-03-01","position":null}"#, ["position": "null"]),
        ]
        for (subpath, json, expected) in cases {
            let reply = try await refused(subpath, json)
            let body = String(decoding: reply.body, as: UTF8.self)
            #expect(reply.status == 400, "\(json): \(body)")
            #expect(reply.errorCode == "invalid_request", "\(json): \(body)")
            let fields = try Self.fields(reply)
            #expect(
                Dictionary(uniqueKeysWithValues: fields.map { ($0.field, $0.code) }) == expected, "\(json): \(body)")
        }
        // Not an object, not JSON: invalid_body, saying so.
        let array = try await refused("/rejection", "[1,2]")
        #expect(array.status == 400)
        #expect(array.errorCode == "invalid_body")
        #expect(String(decoding: array.body, as: UTF8.self).contains("must be a JSON object"))
        #expect(try await refused("/rejection", "{").errorCode == "invalid_body")
        // Nothing was queued for the request: it is still pending and can be decided.
        let pending = try await unit.client.send("GET", "/v1/association-requests").decode(Page<PendingRequest>.self)
        #expect(pending.items.map(\.associationId) == [id])
        let approved = try await Self.decide(unit, "POST", path + "/approval", population.approval())
        #expect(approved.job?.status == .succeeded)
        // An unlink whose leave date is before the entry date is refused at the door.
        let early = try await unit.client.send(
            "POST", "/v1/employees/\(id.uuidString.lowercased())/unlink",
            json: UnlinkForm(leaveDate: CalendarDate(year: 1999, month: 1, day: 1)!, reason: "离职"))
        #expect(early.status == 400)
        #expect(try Self.fields(early).map(\.code) == ["before_entry_date"])
    }

    /// A service follows the jobs it submitted (and only those) at the `Location` it is given; a refusal
    /// carries its code and a message in Chinese and English; `Prefer: wait` answers with the outcome.
    @Test func everyCallerCanFollowItsJob() async throws {
        let system = try await SharedSystem.instance.get()
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let unit = try await Self.unit(15)
        let service = try await system.serviceClient()
        let person = population.person()
        let submission = AssociationRequestSubmission(associationCode: unit.code, person: person)
        let first = try await service.send("POST", "/v1/service/association-requests", json: submission)
        #expect(first.status == 202)
        let accepted = try first.decode(AssociationJobAccepted.self)
        let location = try #require(first.headers["location"])
        #expect(location == "/v1/service/jobs/\(accepted.job.id.uuidString.lowercased())")
        var job: JobRecord?
        for _ in 0..<300 {
            let read = try await service.send("GET", location)
            try #require(read.status == 200, "\(read.status) \(String(decoding: read.body, as: UTF8.self))")
            job = try read.decode(JobRecord.self)
            if job?.status != .queued { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(job?.status == .succeeded)
        // Another service, a unit token, another unit's job: nothing.
        let otherService = try await system.serviceClient(name: "another-portal")
        #expect(try await otherService.send("GET", location).status == 404)
        #expect(try await unit.client.send("GET", location).errorCode == "token_wrong_realm")
        let approval = try await unit.client.send(
            "POST", "/v1/association-requests/\(accepted.associationId.uuidString.lowercased())/approval",
            body: try JSONEncoder().encode(population.approval()),
            headers: ["Content-Type": "application/json", "Prefer": "wait=10"])
        #expect(approval.status == 200)
        let approvalJob = try approval.decode(AssociationJobAccepted.self).job
        #expect(approvalJob.status == .succeeded)
        let unitJob = approvalJob.id.uuidString.lowercased()
        #expect(try await service.send("GET", "/v1/service/jobs/\(unitJob)").status == 404)
        #expect(approval.headers["location"] == "/v1/jobs/\(unitJob)")

        // Prefer: wait — the outcome in the answer (200), a refusal with its messages.
        let position = PositionUpdateForm(position: "首席数据官")
        let waited = try await unit.client.send(
            "PUT", "/v1/employees/\(accepted.associationId.uuidString.lowercased())/position",
            body: try JSONEncoder().encode(position),
            headers: ["Content-Type": "application/json", "Prefer": "wait=10"])
        #expect(waited.status == 200, "\(String(decoding: waited.body, as: UTF8.self))")
        #expect(waited.headers["preference-applied"] == "wait=10")
        #expect(try waited.decode(AssociationJobAccepted.self).job.status == .succeeded)
        // Two requests at once for one person: the second is refused by the worker under the lock.
        let twin = population.person()
        let twinSubmission = try JSONEncoder().encode(
            AssociationRequestSubmission(associationCode: unit.code, person: twin))
        let racing = try await withThrowingTaskGroup(of: GatewayClient.Reply.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await service.send(
                        "POST", "/v1/service/association-requests", body: twinSubmission,
                        headers: ["Content-Type": "application/json", "Prefer": "wait=10"])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let outcomes = try racing.filter { $0.status == 200 }.map { try $0.decode(AssociationJobAccepted.self).job }
        if let refused = outcomes.first(where: { $0.status == .failed }) {
            #expect(refused.errorCode == "already_exists")
            #expect(refused.errorMessage?.zh.isEmpty == false)
            #expect(refused.errorMessage?.en.contains("already") == true)
        }
        #expect(racing.allSatisfy { [200, 409].contains($0.status) })
        // wait=0: the usual 202.
        let quick = try await service.send(
            "POST", "/v1/service/association-requests",
            body: try JSONEncoder().encode(
                AssociationRequestSubmission(associationCode: unit.code, person: population.person())),
            headers: ["Content-Type": "application/json", "Prefer": "wait=0"])
        #expect(quick.status == 202)
    }

    /// Fair admission: one unit flooding uploads runs into its request budget (429 with Retry-After)
    /// while another unit's decisions are all admitted and applied; their request → effect times are
    /// printed (no timing is asserted: the benchmark measures).
    @Test func aFloodingUnitDoesNotDelayAnotherUnitsDecisions() async throws {
        let system = try await SharedSystem.instance.get()
        var population = DemoPopulation(seed: .random(in: 1...UInt64.max))
        let flooder = GatewayClient(
            baseURL: system.baseURL, token: try await system.token(unit: Fixtures.unit(16, salt: "A").rawValue),
            rateLimitRetries: 0)
        let unit = try await Self.unit(17)
        let patient = GatewayClient(
            baseURL: system.baseURL, token: try await system.token(unit: unit.id.rawValue), rateLimitRetries: 0)
        let ids = try await Self.request((0..<24).map { _ in population.person() }, to: unit)
        let approvals = try ids.map { _ in try JSONEncoder().encode(population.approval()) }
        let flood = Task {
            try await withThrowingTaskGroup(of: GatewayClient.Reply.self) { group in
                var replies: [GatewayClient.Reply] = []
                for index in 0..<600 {
                    if index >= 32, let reply = try await group.next() { replies.append(reply) }
                    group.addTask {
                        try await flooder.send(
                            "POST", "/v1/attachments?kind=other&fileName=flood-\(index).png",
                            body: Data(repeating: 7, count: 64))
                    }
                }
                for try await reply in group { replies.append(reply) }
                return replies
            }
        }
        // The other unit's decisions, four at a time, while the flood runs.
        var decisions: [GatewayClient.Reply] = []
        for batch in stride(from: 0, to: ids.count, by: 4) {
            let replies = try await withThrowingTaskGroup(of: GatewayClient.Reply.self) { group in
                for index in batch..<min(batch + 4, ids.count) {
                    group.addTask {
                        try await patient.send(
                            "POST", "/v1/association-requests/\(ids[index].uuidString.lowercased())/approval",
                            body: approvals[index], headers: ["Content-Type": "application/json", "Prefer": "wait=10"])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            decisions += replies
        }
        let flooded = try await flood.value
        let limited = flooded.filter { $0.status == 429 }
        #expect(!limited.isEmpty, "600 uploads at once stayed within the unit's budget")
        #expect(limited.allSatisfy { $0.errorCode == "rate_limited" && $0.headers["retry-after"] != nil })
        #expect(flooded.allSatisfy { [202, 429].contains($0.status) })
        #expect(decisions.allSatisfy { $0.status == 200 }, "\(decisions.map(\.status))")
        let jobs = try decisions.map { try $0.decode(AssociationJobAccepted.self).job }
        #expect(jobs.allSatisfy { $0.status == .succeeded })
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let latencies = try jobs.map { job in
            try Date(try #require(job.finishedAt), strategy: format).timeIntervalSince(
                try Date(job.createdAt, strategy: format))
        }.sorted()
        print(
            "fair admission: flood \(flooded.count) uploads, \(limited.count) answered 429; the other unit's "
                + "\(jobs.count) decisions all applied, request → effect p50 \(Int(latencies[latencies.count / 2] * 1000)) ms, "
                + "max \(Int((latencies.last ?? 0) * 1000)) ms")
    }
}

/// Wraps any `Encodable` so heterogenous request bodies can sit in one list.
struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
