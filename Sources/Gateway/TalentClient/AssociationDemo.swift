import Foundation
import TalentCore

/// The association demo and benchmark, driven through the gateway as the portals would: requests
/// through the service endpoint (personal-edition portal), decisions with the unit's token.
public struct AssociationDemo: Sendable {
    let unit: GatewayClient
    let service: GatewayClient
    let output: @Sendable (String) -> Void

    public init(unit: GatewayClient, service: GatewayClient, output: @escaping @Sendable (String) -> Void) {
        self.unit = unit
        self.service = service
        self.output = output
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The unit's association code and counts.
    public func summary() async throws -> (code: String, pending: Int, active: Int) {
        let reply = try await unit.send("GET", "/v1/employee-summary")
        guard reply.status == 200,
            let object = try JSONSerialization.jsonObject(with: reply.body) as? [String: Any],
            let code = object["associationCode"] as? String
        else { throw Failure(description: "employee summary answered \(reply.status)") }
        return (code, object["pending"] as? Int ?? 0, object["active"] as? Int ?? 0)
    }

    /// Submits `people` as association requests to the unit, `concurrency` at a time; returns the
    /// association ids in submission order.
    public func submitRequests(_ people: [PersonProfile], code: String, concurrency: Int = 8) async throws -> [UUID] {
        try await forEach(people, concurrency: concurrency) { person in
            let reply = try await service.send(
                "POST", "/v1/service/association-requests",
                json: AssociationRequestBody(associationCode: code, person: person))
            guard reply.status == 202 else {
                throw Failure(
                    description: "request answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
            }
            return try Self.associationId(reply)
        }
    }

    /// Waits until the unit's counts satisfy `condition` (polling every 100 ms, at most `timeout`).
    public func waitForCounts(timeout: Duration = .seconds(300), _ condition: (Int, Int) -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let counts = try await summary()
            if condition(counts.pending, counts.active) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "counts did not reach the expected values in time")
    }

    /// Sends a decision and waits for its job; returns the job (or the refusal's error code).
    public func decide(_ method: String, _ path: String, _ body: some Encodable) async throws -> (
        status: Int, job: JobRecord?, errorCode: String?, body: String
    ) {
        let reply = try await unit.send(method, path, json: body)
        let text = String(decoding: reply.body, as: UTF8.self)
        guard reply.status == 202 else { return (reply.status, nil, reply.errorCode, text) }
        let job = try JSONDecoder().decode(AcceptedJob.self, from: reply.body).job
        return (202, try await unit.finishedJob(job.id), nil, text)
    }

    /// The scripted portal session (manual §5): requests arrive, the unit approves some, rejects
    /// some, updates a position, tries an unlink the rules refuse, and unlinks another employee.
    /// - Parameter putApplicationInProgress: records an application in progress for an employee (the
    ///   business behind "an application for that employee is in progress").
    public func runSession(
        people: [PersonProfile], approvals: [ApprovalForm],
        putApplicationInProgress: @Sendable (UUID) async throws -> Void
    ) async throws {
        let start = try await summary()
        output("unit association code (关联代码): \(start.code)")
        let ids = try await submitRequests(people, code: start.code)
        try await waitForCounts { pending, _ in pending >= start.pending + people.count }
        var counts = try await summary()
        output(
            "\(people.count) association requests arrived from the personal-edition portal: pending \(counts.pending), employees \(counts.active)"
        )
        let names = Dictionary(uniqueKeysWithValues: zip(ids, people.map(\.name)))
        let approveCount = min(approvals.count, max(ids.count - 4, 0))
        var approved: [UUID] = []
        for (id, form) in zip(ids.prefix(approveCount), approvals) {
            let result = try await decide("POST", "/v1/association-requests/\(Self.text(id))/approval", form)
            output(
                "approve  \(names[id] ?? "")\t→ \(Self.describe(result))\t(\(form.position), entry \(form.entryDate))")
            if result.job?.status == .succeeded { approved.append(id) }
        }
        let reasons = ["岗位已满", "信息与单位记录不符", "非本单位员工"]
        for (id, reason) in zip(ids.dropFirst(approveCount).prefix(3), reasons) {
            let result = try await decide(
                "POST", "/v1/association-requests/\(Self.text(id))/rejection", RejectionForm(reason: reason))
            output("reject   \(names[id] ?? "")\t→ \(Self.describe(result))\t(\(reason))")
        }
        if let first = approved.first {
            let again = try await decide(
                "POST", "/v1/association-requests/\(Self.text(first))/rejection", RejectionForm(reason: "重复操作"))
            output("reject an approved request again\t→ \(Self.describe(again))")
        }
        guard approved.count >= 3 else { throw Failure(description: "too few approvals for the session") }
        let promoted = approved[0]
        let update = PositionUpdateForm(
            position: "高级工程师", department: "研发部",
            contract: LabourContract(kind: .openEnded, startDate: approvals[0].entryDate))
        let updated = try await decide("PUT", "/v1/employees/\(Self.text(promoted))/position", update)
        output("update position of \(names[promoted] ?? "") to 高级工程师, open-ended contract\t→ \(Self.describe(updated))")

        let blocked = approved[1]
        try await putApplicationInProgress(blocked)
        let check = try await unit.send("GET", "/v1/employees/\(Self.text(blocked))/unlink-check")
        output("unlink check for \(names[blocked] ?? ""): \(String(decoding: check.body, as: UTF8.self))")
        let leave = UnlinkForm(leaveDate: CalendarDate(year: 2026, month: 12, day: 31)!, reason: "个人原因离职")
        let refused = try await decide("POST", "/v1/employees/\(Self.text(blocked))/unlink", leave)
        output("unlink   \(names[blocked] ?? "")\t→ \(Self.describe(refused))")
        let leaving = approved[2]
        let unlinked = try await decide("POST", "/v1/employees/\(Self.text(leaving))/unlink", leave)
        output("unlink   \(names[leaving] ?? "")\t→ \(Self.describe(unlinked))")

        counts = try await summary()
        output("now: pending \(counts.pending), employees \(counts.active)")
        let detail = try await unit.send("GET", "/v1/employees/\(Self.text(promoted))")
        if let object = try JSONSerialization.jsonObject(with: detail.body) as? [String: Any],
            let history = object["history"] as? [[String: Any]]
        {
            let steps = history.map { "\($0["action"] ?? "") by \($0["actor"] ?? "")" }
            output("history of \(names[promoted] ?? ""): \(steps.joined(separator: " → "))")
        }
    }

    /// Benchmark: `count` pending requests are approved by `concurrency` clients at once; the clock
    /// runs from the first approval sent to the moment the unit's counts show them all active.
    /// - Returns: decisions per second.
    public func benchmarkApprovals(people: [PersonProfile], approval: ApprovalForm, concurrency: Int) async throws
        -> (seconds: Double, perSecond: Double)
    {
        let start = try await summary()
        let ids = try await submitRequests(people, code: start.code, concurrency: concurrency)
        try await waitForCounts { pending, _ in pending >= start.pending + people.count }
        let clock = ContinuousClock()
        let began = clock.now
        _ = try await forEach(ids, concurrency: concurrency) { id in
            let reply = try await unit.send(
                "POST", "/v1/association-requests/\(Self.text(id))/approval", json: approval)
            guard reply.status == 202 else { throw Failure(description: "approval answered \(reply.status)") }
            return ()
        }
        let submitted = clock.now - began
        try await waitForCounts { _, active in active >= start.active + ids.count }
        let elapsed = clock.now - began
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let accepted =
            Double(submitted.components.seconds) + Double(submitted.components.attoseconds) / 1e18
        output(String(format: "all %d approvals accepted (202) after %.2f s", ids.count, accepted))
        return (seconds, Double(ids.count) / seconds)
    }

    // MARK: Helpers

    struct AssociationRequestBody: Encodable {
        var associationCode: String
        var person: PersonProfile
    }

    struct AcceptedJob: Decodable {
        var associationId: UUID
        var job: JobRecord
    }

    static func associationId(_ reply: GatewayClient.Reply) throws -> UUID {
        try JSONDecoder().decode(AcceptedJob.self, from: reply.body).associationId
    }

    static func text(_ id: UUID) -> String { id.uuidString.lowercased() }

    static func describe(_ result: (status: Int, job: JobRecord?, errorCode: String?, body: String)) -> String {
        if let job = result.job {
            return job.status == .succeeded
                ? "applied" : "\(job.status.rawValue): \(job.errorCode ?? "") \(job.errorDetail ?? "")"
        }
        return "HTTP \(result.status) \(result.errorCode ?? "")"
            + (result.errorCode == "unlink_refused" ? " \(result.body)" : "")
    }

    /// Runs `body` on every input, `concurrency` at a time; results in input order.
    public func forEach<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], concurrency: Int, _ body: @escaping @Sendable (Input) async throws -> Output
    ) async throws -> [Output] {
        try await withThrowingTaskGroup(of: (Int, Output).self) { group in
            var results = [Output?](repeating: nil, count: inputs.count)
            var next = 0
            for _ in 0..<min(concurrency, inputs.count) {
                let index = next
                group.addTask { (index, try await body(inputs[index])) }
                next += 1
            }
            while let (index, output) = try await group.next() {
                results[index] = output
                if next < inputs.count {
                    let index = next
                    group.addTask { (index, try await body(inputs[index])) }
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }
}
