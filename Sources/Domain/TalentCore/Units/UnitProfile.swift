import Foundation

/// The four steps of profile completion (单位信息完善, manual §2), in the order the portal guides.
public enum ProfileStep: String, Codable, Sendable, CaseIterable, Comparable {
    /// 一般信息.
    case generalInformation = "general_information"
    /// 单位资质.
    case qualifications
    /// 业务经办人.
    case businessHandler = "business_handler"
    /// 电子附件.
    case attachments

    /// Chinese label shown by portals.
    public var label: String {
        switch self {
        case .generalInformation: "一般信息"
        case .qualifications: "单位资质"
        case .businessHandler: "业务经办人"
        case .attachments: "电子附件"
        }
    }

    public static func < (lhs: ProfileStep, rhs: ProfileStep) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Step 1, general information (一般信息): the unit's basic information (manual §6: name, office
/// address, unit type) and what its type requires.
public struct GeneralInformation: Sendable, Hashable, Codable {
    /// Registered name (单位名称), 1–100 characters.
    public var name: String
    public var unitType: UnitType
    /// Registered district (注册地区): a code of ``BeijingDistrict/districts``.
    public var registeredDistrict: String
    /// Office address (办公地点), 1–200 characters.
    public var officeAddress: String
    /// Six ASCII digits, optional.
    public var postalCode: String?
    /// Legal representative, operator or person in charge (per ``unitType``), 1–50 characters.
    public var responsiblePerson: String
    /// Date of establishment (成立日期), not in the future.
    public var establishedOn: CalendarDate
    /// Registered capital (注册资本) in units of 10,000 yuan (万元): required for enterprises, > 0.
    public var registeredCapital: Double?
    /// The parent unit's unified social credit code: required for branches, not allowed otherwise.
    public var parentUnitCode: String?

    public init(
        name: String, unitType: UnitType, registeredDistrict: String, officeAddress: String, postalCode: String? = nil,
        responsiblePerson: String, establishedOn: CalendarDate, registeredCapital: Double? = nil,
        parentUnitCode: String? = nil
    ) {
        self.name = name
        self.unitType = unitType
        self.registeredDistrict = registeredDistrict
        self.officeAddress = officeAddress
        self.postalCode = postalCode
        self.responsiblePerson = responsiblePerson
        self.establishedOn = establishedOn
        self.registeredCapital = registeredCapital
        self.parentUnitCode = parentUnitCode
    }
}

/// One qualification (单位资质): a certificate with its number and validity.
public struct Qualification: Sendable, Hashable, Codable {
    public var kind: QualificationKind
    /// Certificate number (证书编号), 1–64 characters.
    public var number: String
    /// Issuing authority (发证机关), 1–100 characters.
    public var issuedBy: String
    /// First day of validity, not in the future.
    public var validFrom: CalendarDate
    /// Last day of validity, not before today; `nil`: long-term (长期有效).
    public var validUntil: CalendarDate?

    public init(
        kind: QualificationKind, number: String, issuedBy: String, validFrom: CalendarDate,
        validUntil: CalendarDate? = nil
    ) {
        self.kind = kind
        self.number = number
        self.issuedBy = issuedBy
        self.validFrom = validFrom
        self.validUntil = validUntil
    }
}

/// Step 2, qualifications (单位资质): at most 20.
public struct QualificationsStep: Sendable, Hashable, Codable {
    public var items: [Qualification]

    public init(items: [Qualification]) { self.items = items }
}

/// Step 3, the business handler (业务经办人) and the emergency contact (manual §6: "handler and
/// contact, emergency contact and contact"); also the form of handler maintenance.
public struct BusinessHandler: Sendable, Hashable, Codable {
    /// 1–50 characters.
    public var name: String
    /// Resident identity number (GB 11643-1999).
    public var residentId: String
    /// Mainland mobile number (``MobileNumber``).
    public var mobile: String
    /// Optional e-mail address, at most 254 characters.
    public var email: String?
    /// 1–50 characters.
    public var emergencyContactName: String
    /// Mainland mobile number, not the handler's own.
    public var emergencyContactMobile: String

    public init(
        name: String, residentId: String, mobile: String, email: String? = nil, emergencyContactName: String,
        emergencyContactMobile: String
    ) {
        self.name = name
        self.residentId = residentId
        self.mobile = mobile
        self.email = email
        self.emergencyContactName = emergencyContactName
        self.emergencyContactMobile = emergencyContactMobile
    }
}

/// An attachment given for the profile: one of the unit's uploaded attachments, by id and kind.
public struct ProfileAttachment: Sendable, Hashable, Codable {
    public var kind: AttachmentKind
    public var attachmentId: UUID

    public init(kind: AttachmentKind, attachmentId: UUID) {
        self.kind = kind
        self.attachmentId = attachmentId
    }
}

/// Step 4, electronic attachments (电子附件): at most 20.
public struct AttachmentsStep: Sendable, Hashable, Codable {
    public var items: [ProfileAttachment]

    public init(items: [ProfileAttachment]) { self.items = items }
}

/// A unit's profile: the four steps, each `nil` until given. As a draft, the saved steps; as the
/// current profile, what the last accepted submission made of it.
public struct UnitProfile: Sendable, Hashable, Codable {
    public var generalInformation: GeneralInformation?
    public var qualifications: QualificationsStep?
    public var businessHandler: BusinessHandler?
    public var attachments: AttachmentsStep?

    public init(
        generalInformation: GeneralInformation? = nil, qualifications: QualificationsStep? = nil,
        businessHandler: BusinessHandler? = nil, attachments: AttachmentsStep? = nil
    ) {
        self.generalInformation = generalInformation
        self.qualifications = qualifications
        self.businessHandler = businessHandler
        self.attachments = attachments
    }

    /// The steps given.
    public var steps: [ProfileStep] {
        ProfileStep.allCases.filter { step in
            switch step {
            case .generalInformation: generalInformation != nil
            case .qualifications: qualifications != nil
            case .businessHandler: businessHandler != nil
            case .attachments: attachments != nil
            }
        }
    }

    /// `self` with every step `draft` gives replaced by the draft's (a modification of a complete
    /// profile keeps the steps it does not touch).
    public func overlaid(by draft: UnitProfile) -> UnitProfile {
        UnitProfile(
            generalInformation: draft.generalInformation ?? generalInformation,
            qualifications: draft.qualifications ?? qualifications,
            businessHandler: draft.businessHandler ?? businessHandler, attachments: draft.attachments ?? attachments)
    }
}

/// What the rules need to know about an attachment the profile refers to (read by the store within
/// the unit's data only: another unit's attachment is absent, like a missing one).
public struct ProfileAttachmentFacts: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        case pending, accepted, rejected
    }

    public var kind: AttachmentKind
    public var status: Status

    public init(kind: AttachmentKind, status: Status) {
        self.kind = kind
        self.status = status
    }
}
