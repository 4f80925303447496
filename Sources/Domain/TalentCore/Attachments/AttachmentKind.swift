/// The kind of a unit's common electronic attachment (单位常用电子附件), PRODUCT.md §3 (§4 of the manual).
///
/// Each kind has its own size limit; the default is 5 MiB (PRODUCT.md §4).
public enum AttachmentKind: String, CaseIterable, Codable, Sendable {
    /// 营业执照 / 法人证书: business licence or legal-person certificate.
    case businessLicence = "business_licence"
    /// 法定代表人身份证明: identity document of the legal representative.
    case legalRepresentativeIdentity = "legal_representative_identity"
    /// 经办人授权委托书: the business handler's letter of authorisation.
    case handlerAuthorisation = "handler_authorisation"
    /// 单位资质证明: a qualification certificate.
    case qualificationCertificate = "qualification_certificate"
    /// 上级法人证照: the parent unit's licence or certificate (branches).
    case parentUnitLicence = "parent_unit_licence"
    /// 其他材料: anything else.
    case other

    /// Chinese label shown by portals.
    public var label: String {
        switch self {
        case .businessLicence: "营业执照"
        case .legalRepresentativeIdentity: "法定代表人身份证明"
        case .handlerAuthorisation: "经办人授权委托书"
        case .qualificationCertificate: "单位资质证明"
        case .parentUnitLicence: "上级法人证照"
        case .other: "其他材料"
        }
    }
}
