import Testing

@testable import TalentCore

/// PRODUCT.md §4: `pending → active | rejected`, `active → unlinked`; every other transition refused
/// with a reason.
@Suite("Association state machine")
struct AssociationStateMachineTests {
    @Test func allowedTransitions() throws {
        #expect(try AssociationStateMachine.next(from: nil, on: .request) == .pending)
        #expect(try AssociationStateMachine.next(from: .rejected, on: .request) == .pending)
        #expect(try AssociationStateMachine.next(from: .unlinked, on: .request) == .pending)
        #expect(try AssociationStateMachine.next(from: .pending, on: .approve) == .active)
        #expect(try AssociationStateMachine.next(from: .pending, on: .reject) == .rejected)
        #expect(try AssociationStateMachine.next(from: .active, on: .unlink) == .unlinked)
        #expect(try AssociationStateMachine.next(from: .active, on: .updatePosition) == .active)
    }

    /// Every (state, action) pair not allowed above, with the refusal's code.
    @Test func refusedTransitions() {
        let allowed: Set<String> = [
            "nil request", "rejected request", "unlinked request", "pending approve", "pending reject",
            "active unlink", "active update_position",
        ]
        let states: [AssociationState?] = [nil] + AssociationState.allCases.map { $0 }
        var refused = 0
        for state in states {
            for action in AssociationAction.allCases {
                let key = "\(state?.rawValue ?? "nil") \(action.rawValue)"
                if allowed.contains(key) { continue }
                refused += 1
                do {
                    _ = try AssociationStateMachine.next(from: state, on: action)
                    Issue.record("\(key) was allowed")
                } catch {
                    switch action {
                    case .request: #expect(error.code == .alreadyExists, "\(key)")
                    case .approve, .reject: #expect(error.code == .notPending, "\(key)")
                    case .unlink, .updatePosition: #expect(error.code == .notActive, "\(key)")
                    }
                }
            }
        }
        #expect(refused == 5 * 5 - allowed.count)
    }

    @Test func unlinkRulesGiveEveryReason() {
        let blocked = UnlinkRules.reasons(
            UnlinkFacts(
                state: .active, applicationsInProgress: ["work_residence_permit", "talent_introduction"],
                changesInProgress: 1))
        #expect(blocked.map(\.code) == [.applicationInProgress, .applicationInProgress, .changeInProgress])
        #expect(
            UnlinkRules.reasons(UnlinkFacts(state: .active, applicationsInProgress: [], changesInProgress: 0)).isEmpty)
        #expect(
            UnlinkRules.reasons(UnlinkFacts(state: .unlinked, applicationsInProgress: [], changesInProgress: 0)).map(
                \.code)
                == [.notActive])
    }

    @Test func formsAreChecked() {
        let day = CalendarDate(year: 2024, month: 3, day: 1)!
        #expect(throws: AssociationRefusal.self) { try ApprovalForm(entryDate: day, position: "  ").validate() }
        #expect(throws: AssociationRefusal.self) {
            try ApprovalForm(
                entryDate: day, position: "工程师", contract: LabourContract(kind: .fixedTerm, startDate: day)
            )
            .validate()
        }
        #expect(throws: AssociationRefusal.self) {
            try UnlinkForm(leaveDate: CalendarDate(year: 2024, month: 2, day: 1)!, reason: "合同到期").validate(
                entryDate: day)
        }
        #expect(throws: AssociationRefusal.self) {
            try RejectionForm(reason: String(repeating: "长", count: 501)).validate()
        }
        #expect(throws: AssociationRefusal.self) { try RejectionForm(reason: "bad\u{0007}").validate() }
        #expect(throws: Never.self) {
            try ApprovalForm(
                entryDate: day, position: "工程师",
                contract: LabourContract(
                    kind: .fixedTerm, startDate: day, endDate: CalendarDate(year: 2027, month: 2, day: 28))
            )
            .validate()
        }
    }

    @Test func decisionJobsRoundTrip() throws {
        let job = AssociationDecisionJob(
            jobId: .init(), unitId: UnifiedSocialCreditCode.make(organisationBody: "MA01DEMQ")!, associationId: .init(),
            actor: "operator-1", requestedAt: .init(timeIntervalSince1970: 1_800_000_000),
            decision: .reject(RejectionForm(reason: "岗位已满")))
        let decoded = try JobMessageCodec.decode(AssociationDecisionJob.self, from: JobMessageCodec.encode(job))
        #expect(decoded == job)
        #expect(decoded.decision == .reject(RejectionForm(reason: "岗位已满")))
    }
}
