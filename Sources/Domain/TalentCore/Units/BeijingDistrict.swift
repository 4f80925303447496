/// The 16 districts of Beijing (GB/T 2260 codes 1101xx), where a unit is registered (注册地区).
public enum BeijingDistrict {
    /// Code → name.
    public static let districts: [String: String] = [
        "110101": "东城区", "110102": "西城区", "110105": "朝阳区", "110106": "丰台区", "110107": "石景山区",
        "110108": "海淀区", "110109": "门头沟区", "110111": "房山区", "110112": "通州区", "110113": "顺义区",
        "110114": "昌平区", "110115": "大兴区", "110116": "怀柔区", "110117": "平谷区", "110118": "密云区",
        "110119": "延庆区",
    ]
}
