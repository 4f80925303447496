import TalentCore
import Testing

/// Every code a job or an attachment can end with has a message in Chinese and English.
@Suite("Outcome messages")
struct OutcomeMessageTests {
    @Test func everyRefusalAndRejectionHasAMessage() {
        let codes =
            AssociationRefusal.Code.allCases.map(\.rawValue) + UnitProfileRefusal.Code.allCases.map(\.rawValue)
            + AttachmentReason.allCases.map(\.rawValue)
            + ["delivery_limit", "never_completed"]
        for code in codes {
            let message = OutcomeMessage.forCode(code)
            #expect(message != nil, "\(code)")
            #expect(message?.zh.isEmpty == false && message?.en.isEmpty == false, "\(code)")
        }
        #expect(OutcomeMessage.forCode("no_such_code") == nil)
    }

    @Test func aJobRecordCarriesTheMessageOfItsCode() {
        let job = JobRecord(
            id: .init(), kind: "association.decision", status: .failed, subjectId: nil, errorCode: "not_pending",
            errorDetail: "decided", createdAt: "2026-12-02T05:23:52.123Z", publishedAt: nil, finishedAt: nil)
        #expect(job.errorMessage?.en == "The request has already been decided.")
    }
}
