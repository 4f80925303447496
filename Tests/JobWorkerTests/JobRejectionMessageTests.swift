import JobWorker
import TalentCore
import Testing

/// The reasons a worker parks a job are codes with a message for people.
@Suite("Job rejection messages")
struct JobRejectionMessageTests {
    @Test func everyRejectionCodeHasAMessage() {
        for code in JobRejection.Code.allCases {
            #expect(OutcomeMessage.forCode(code.rawValue) != nil, "\(code.rawValue)")
        }
    }
}
