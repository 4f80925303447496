import Foundation
import Testing

@testable import TalentCore

@Suite("System prompts and notice forms")
struct SystemPromptsTests {
    static let today = CalendarDate(year: 2026, month: 12, day: 2)!

    static func facts(
        complete: Bool = true, pending: UnitPromptFacts.PendingRequests? = nil,
        rejected: [UnitPromptFacts.RejectedAttachment] = [], qualifications: [Qualification] = []
    ) -> UnitPromptFacts {
        UnitPromptFacts(
            profileComplete: complete, firstSeen: nil, pending: pending, rejectedAttachments: rejected,
            qualifications: qualifications)
    }

    static func qualification(until: CalendarDate?) -> Qualification {
        Qualification(
            kind: .highTechEnterprise, number: "GR1", issuedBy: "北京市科学技术委员会",
            validFrom: CalendarDate(year: 2020, month: 1, day: 1)!, validUntil: until)
    }

    @Test func aCompleteQuietUnitHasNoPrompts() {
        #expect(SystemPrompts.derive(from: Self.facts(), today: Self.today).isEmpty)
    }

    @Test func eachCauseHasItsPromptAndIdentity() {
        let request = UUID()
        let attachment = UUID()
        let prompts = SystemPrompts.derive(
            from: Self.facts(
                complete: false, pending: .init(count: 3, newestId: request, newestAt: Date()),
                rejected: [.init(id: attachment, fileName: "a.png", reason: .corrupt, validatedAt: Date())]),
            today: Self.today)
        #expect(prompts.map(\.kind) == [.profileIncomplete, .pendingAssociations, .attachmentRejected])
        #expect(prompts[1].id == "pending_associations:\(request.uuidString.lowercased())")
        #expect(prompts[1].message.contains("3"))
        #expect(prompts[2].id == "attachment_rejected:\(attachment.uuidString.lowercased())")
        #expect(prompts[2].messageEnglish.contains("corrupt"))
    }

    /// A restricted service is prompted with its reasons; its id changes with them (a new cause is
    /// unread again); restricted only for the incomplete profile, the profile's prompt says it.
    @Test func restrictedServices() {
        let credit = EligibilityReason(code: .creditRestricted, message: "单位已被列入信用限制名单。", messageEnglish: "listed")
        let filing = EligibilityReason(code: .changeNotFiled, message: "未备案。", messageEnglish: "unfiled")
        let incomplete = EligibilityReason(code: .profileIncomplete, message: "未完善。", messageEnglish: "incomplete")
        var facts = Self.facts()
        facts.restrictions = [
            .init(service: .workResidencePermit, reasons: [credit, filing], since: Date()),
            .init(service: .talentIntroduction, reasons: [incomplete], since: nil),
        ]
        let prompts = SystemPrompts.derive(from: facts, today: Self.today)
        #expect(prompts.map(\.kind) == [.serviceRestricted])
        #expect(prompts[0].id == "service_restricted:work_residence_permit:credit_restricted+change_not_filed")
        #expect(prompts[0].message.hasPrefix("工作居住证业务受限："))
        #expect(prompts[0].message.contains("信用限制名单"))
        facts.restrictions[0].reasons = [credit]
        #expect(
            SystemPrompts.derive(from: facts, today: Self.today).map(\.id) == [
                "service_restricted:work_residence_permit:credit_restricted"
            ])
    }

    @Test func qualificationsExpiringWithinThirtyDaysOrExpired() {
        let in30 = CalendarDate(year: 2027, month: 1, day: 1)!  // 30 days after 2026-12-02
        let in31 = CalendarDate(year: 2027, month: 1, day: 2)!
        let expired = CalendarDate(year: 2026, month: 12, day: 1)!
        #expect(Self.today.days(until: in30) == 30)
        let prompts = SystemPrompts.derive(
            from: Self.facts(
                qualifications: [
                    Self.qualification(until: in31), Self.qualification(until: in30),
                    Self.qualification(until: expired),
                    Self.qualification(until: nil),
                ]), today: Self.today)
        #expect(prompts.count == 2)
        #expect(prompts.allSatisfy { $0.kind == .qualificationExpiring })
        #expect(prompts[0].message.contains("已于 2026-12-01 过期"))
        #expect(prompts[1].id == "qualification_expiring:high_tech_enterprise:2027-01-01")
    }

    @Test func dayCountsCrossMonthsYearsAndLeapDays() {
        let first = CalendarDate(year: 2028, month: 2, day: 28)!
        #expect(first.days(until: CalendarDate(year: 2028, month: 3, day: 1)!) == 2)
        #expect(
            CalendarDate(year: 2026, month: 12, day: 31)!.days(until: CalendarDate(year: 2027, month: 1, day: 1)!) == 1)
        #expect(
            CalendarDate(year: 2027, month: 1, day: 1)!.days(until: CalendarDate(year: 2026, month: 1, day: 1)!) == -365
        )
    }

    @Test func audiencesMatchByTypeAndDistrict() {
        let audience = NoticeAudience(unitTypes: [.enterprise, .branch], districts: ["110108"])
        #expect(audience.matches(unitType: .enterprise, district: "110108"))
        #expect(!audience.matches(unitType: .enterprise, district: "110105"))
        #expect(!audience.matches(unitType: .publicInstitution, district: "110108"))
        #expect(!audience.matches(unitType: nil, district: nil))
        #expect(NoticeAudience.allUnits.matches(unitType: nil, district: nil))
        #expect(NoticeAudience(districts: ["110105"]).matches(unitType: .branch, district: "110105"))
    }

    @Test func noticeFormsNameEveryBrokenField() {
        let notice = PolicyNotice(
            title: String(repeating: "长", count: 201), summary: "ok", documentUrl: "javascript:alert(1)",
            audience: NoticeAudience(unitTypes: [.branch, .branch], districts: ["110101", "120101"]))
        let fields = notice.problems().map(\.field)
        #expect(fields == ["title", "documentUrl", "audience.unitTypes", "audience.districts[1]"])
        #expect(
            PolicyNotice(title: "t", summary: "", documentUrl: "https://rsj.beijing.gov.cn/a.pdf").problems().isEmpty)
        #expect(!PolicyNotice(title: "t", summary: "", documentUrl: "https:///a.pdf").problems().isEmpty)
    }
}
