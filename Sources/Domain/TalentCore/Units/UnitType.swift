/// The legal form of a unit (单位类型), chosen in the profile's general information (manual §2,
/// PRODUCT.md §3). Each type holds its own registration certificate and names its responsible person
/// differently; ``UnitProfileRules`` derives the required fields, qualifications and attachments from it.
public enum UnitType: String, Codable, Sendable, CaseIterable {
    /// 企业: registered with the market regulator (营业执照), a legal representative.
    case enterprise
    /// 事业单位: public institution (事业单位法人证书), a legal representative.
    case publicInstitution = "public_institution"
    /// 社会团体: social organisation (社会团体法人登记证书), a legal representative.
    case socialOrganisation = "social_organisation"
    /// 民办非企业单位: private non-enterprise unit (民办非企业单位登记证书), a legal representative.
    case privateNonEnterprise = "private_non_enterprise"
    /// 个体工商户: individual business (营业执照), an operator (经营者).
    case individualBusiness = "individual_business"
    /// 法人分支机构: branch of a legal person (营业执照), a person in charge (负责人) and its parent
    /// unit's unified social credit code.
    case branch

    /// Chinese label shown by portals.
    public var label: String {
        switch self {
        case .enterprise: "企业"
        case .publicInstitution: "事业单位"
        case .socialOrganisation: "社会团体"
        case .privateNonEnterprise: "民办非企业单位"
        case .individualBusiness: "个体工商户"
        case .branch: "法人分支机构"
        }
    }

    /// The registration certificate a unit of this type must list among its qualifications.
    public var registrationQualification: QualificationKind {
        switch self {
        case .enterprise, .individualBusiness, .branch: .businessLicence
        case .publicInstitution: .publicInstitutionCertificate
        case .socialOrganisation: .socialOrganisationCertificate
        case .privateNonEnterprise: .privateNonEnterpriseCertificate
        }
    }

    /// Whether the general information must give the registered capital (注册资本): enterprises only.
    public var requiresRegisteredCapital: Bool { self == .enterprise }

    /// Whether the general information must give the parent unit's code: branches only.
    public var requiresParentUnit: Bool { self == .branch }

    /// Attachment kinds every unit of this type must attach (电子附件); a qualification beyond the
    /// registration certificate also needs a ``AttachmentKind/qualificationCertificate``.
    public var requiredAttachmentKinds: [AttachmentKind] {
        switch self {
        case .branch: [.businessLicence, .parentUnitLicence, .handlerAuthorisation]
        default: [.businessLicence, .legalRepresentativeIdentity, .handlerAuthorisation]
        }
    }
}

/// A unit qualification (单位资质) kind.
public enum QualificationKind: String, Codable, Sendable, CaseIterable {
    /// 营业执照.
    case businessLicence = "business_licence"
    /// 事业单位法人证书.
    case publicInstitutionCertificate = "public_institution_certificate"
    /// 社会团体法人登记证书.
    case socialOrganisationCertificate = "social_organisation_certificate"
    /// 民办非企业单位登记证书.
    case privateNonEnterpriseCertificate = "private_non_enterprise_certificate"
    /// 人力资源服务许可证.
    case humanResourcesServiceLicence = "human_resources_service_licence"
    /// 高新技术企业证书.
    case highTechEnterprise = "high_tech_enterprise"
    /// 其他资质.
    case other

    /// Chinese label shown by portals.
    public var label: String {
        switch self {
        case .businessLicence: "营业执照"
        case .publicInstitutionCertificate: "事业单位法人证书"
        case .socialOrganisationCertificate: "社会团体法人登记证书"
        case .privateNonEnterpriseCertificate: "民办非企业单位登记证书"
        case .humanResourcesServiceLicence: "人力资源服务许可证"
        case .highTechEnterprise: "高新技术企业证书"
        case .other: "其他资质"
        }
    }

    /// Whether this kind is some type's registration certificate.
    public var isRegistration: Bool { UnitType.allCases.contains { $0.registrationQualification == self } }
}
