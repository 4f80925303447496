/// A message for people, in Chinese and English, for a stable machine-readable code (a job's
/// `errorCode`, an attachment's `reason`): portals show it as it is or key their own texts by the code.
public struct OutcomeMessage: Sendable, Hashable, Codable {
    public var zh: String
    public var en: String

    public init(zh: String, en: String) {
        self.zh = zh
        self.en = en
    }

    /// The message for `code`, or `nil` for a code without one.
    public static func forCode(_ code: String) -> OutcomeMessage? { catalogue[code] }

    /// Every code a job or an attachment can end with: refusals of association decisions
    /// (``AssociationRefusal/Code``), attachment rejections (``AttachmentReason``), and the reasons a
    /// job is parked (the worker's rejections, the broker's delivery limit, the relay's give-up).
    static let catalogue: [String: OutcomeMessage] = [
        // Association decisions (manual §5).
        "not_pending": .init(zh: "该申请已处理，不能再次审核。", en: "The request has already been decided."),
        "not_active": .init(zh: "该人员不是本单位在职员工。", en: "The person is not a current employee of the unit."),
        "already_exists": .init(
            zh: "该人员与本单位已有待审核或有效的关联。",
            en: "The person already has a pending or current association with the unit."),
        "unlink_blocked": .init(
            zh: "该员工有正在办理的业务，暂不能解除关联。",
            en: "The employee cannot be unlinked while business is in progress."),
        "invalid_form": .init(zh: "表单内容不符合要求。", en: "The form breaks a rule."),
        "not_found": .init(zh: "未找到该关联记录。", en: "No such association for this unit."),
        "unit_profile_incomplete": .init(
            zh: "该单位尚未完善单位信息，暂不能关联。",
            en: "The unit has not completed its profile yet; its association code is not usable."),
        // Unit profile (manual §2, §6).
        "profile_incomplete": .init(
            zh: "单位信息不完整或不符合要求，请按提示修改后重新提交。",
            en: "The profile is incomplete or breaks a rule: fix every problem listed and submit again."),
        // Notices (manual §3).
        "notice_not_found": .init(zh: "未找到该通知。", en: "No such notice."),
        "already_withdrawn": .init(zh: "该通知已撤回。", en: "The notice was already withdrawn."),
        // Attachments (PRODUCT.md §4).
        "empty": .init(zh: "文件为空。", en: "The file is empty."),
        "too_large": .init(zh: "文件超过大小限制。", en: "The file is over the size limit."),
        "unsupported_type": .init(
            zh: "不支持的文件类型，请上传 PDF、JPEG 或 PNG。", en: "Unsupported file type: upload a PDF, JPEG or PNG."),
        "type_mismatch": .init(
            zh: "文件内容与扩展名不一致。", en: "The file's content does not match its name's extension."),
        "corrupt": .init(zh: "文件已损坏，无法打开。", en: "The file is damaged and cannot be opened."),
        "encrypted": .init(zh: "文件已加密，请上传未加密的文件。", en: "The file is encrypted: upload it without a password."),
        "active_content": .init(
            zh: "文件包含脚本等活动内容，不予接收。", en: "The file contains active content (scripts) and is refused."),
        "dimensions_exceeded": .init(zh: "图片尺寸超过限制。", en: "The image is larger than the pixel limit."),
        // Parked jobs.
        "malformed": .init(zh: "任务消息格式错误。", en: "The job message is malformed."),
        "unknown_schema_version": .init(
            zh: "任务消息版本不受支持。", en: "The job message's schema version is not supported."),
        "retries_exhausted": .init(
            zh: "多次重试后仍未完成，已转人工处理。", en: "The job failed on every retry and was set aside for an operator."),
        "delivery_limit": .init(
            zh: "任务多次投递未完成，已转人工处理。",
            en: "The job was delivered too many times without completing and was set aside for an operator."),
        "never_completed": .init(
            zh: "任务未能发布到队列，已转人工处理。",
            en: "The job could not be published to the queue and was set aside for an operator."),
    ]
}
