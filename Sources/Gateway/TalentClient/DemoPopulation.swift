import Foundation
import TalentCore

/// Realistic, invented demo data: units with checksum-valid unified social credit codes and persons
/// with checksum-valid resident identity numbers, invented names, education and work history. Never
/// real personal data. Deterministic for a seed.
public struct DemoPopulation: Sendable {
    /// SplitMix64: small, seedable, good enough for demo data.
    public struct Generator: RandomNumberGenerator, Sendable {
        var state: UInt64
        public init(seed: UInt64) { state = seed }
        public mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    var random: Generator

    public init(seed: UInt64) {
        random = Generator(seed: seed)
    }

    static let surnames = Array(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
    static let givenCharacters = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力宇浩然子轩欣怡梓涵一诺思远嘉懿晨曦雨桐佳琪俊熙博文睿泽皓轩梦瑶诗涵")
    static let regions = [
        "110101", "110105", "110108", "120101", "130102", "310104", "320102", "330106", "370102", "420106", "440104",
        "510107", "610113",
    ]
    static let schools = [
        "北京理工学院", "华北师范学院", "首都经贸学院", "东方工业大学", "燕京医科学院", "京西信息职业学院", "北方交通学院",
        "华东财经学院", "西南农业学院", "中原工程学院",
    ]
    static let majors = ["计算机科学与技术", "会计学", "机械工程", "汉语言文学", "临床医学", "市场营销", "电子信息工程", "法学", "土木工程", "英语"]
    static let degrees = ["专科", "本科", "硕士", "博士"]
    static let employers = [
        "北京星河软件有限公司", "京华建设工程有限公司", "华诚会计师事务所", "燕山机械制造有限公司", "海淀区某社区服务中心", "东城文化传媒有限公司",
        "朝阳物流有限公司", "京北医药科技有限公司",
    ]
    static let positions = ["软件工程师", "会计", "项目经理", "技术员", "行政专员", "销售经理", "研究员", "人力资源专员", "产品经理", "质量工程师"]
    static let departments = ["研发部", "财务部", "市场部", "行政部", "人力资源部", "生产部"]
    static let unitNames = ["北京星河软件有限公司", "京华智能科技有限公司", "北京燕园生物医药有限公司", "首都创新设计研究院", "北京朝阳新材料有限公司"]

    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }

    /// The `n`-th demo unit: a valid code (GB 32100-2015) and an invented name.
    public mutating func unit(_ n: Int) -> (code: UnifiedSocialCreditCode, name: String) {
        let body = "MA" + String(format: "%06d", n % 1_000_000)
        let code = UnifiedSocialCreditCode.make(prefix: "91", region: "110108", organisationBody: body)!
        return (code, Self.unitNames[n % Self.unitNames.count])
    }

    /// A person born between 1965 and 2003 with education and work history consistent with the age.
    public mutating func person() -> PersonProfile {
        let name =
            String(pick(Self.surnames)) + String(pick(Self.givenCharacters))
            + (Bool.random(using: &random) ? String(pick(Self.givenCharacters)) : "")
        let year = Int.random(in: 1965...2003, using: &random)
        let month = Int.random(in: 1...12, using: &random)
        let day = Int.random(in: 1...CalendarDate.daysIn(month: month, year: year), using: &random)
        let birth = CalendarDate(year: year, month: month, day: day)!
        let number = ResidentIdentityNumber.make(
            region: pick(Self.regions), birthDate: birth, sequence: Int.random(in: 0...999, using: &random))!
        let mobile =
            "1" + pick(["3", "5", "7", "8", "9"])
            + String(format: "%09d", Int.random(in: 0..<1_000_000_000, using: &random))
        var education: [EducationRecord] = []
        let levels = Int.random(in: 1...3, using: &random)
        var start = year + 18
        for level in 0..<levels {
            let length = level == 0 ? 4 : 3
            education.append(
                EducationRecord(
                    school: pick(Self.schools), major: pick(Self.majors), degree: Self.degrees[min(level + 1, 3)],
                    startDate: CalendarDate(year: start, month: 9, day: 1)!,
                    endDate: CalendarDate(year: start + length, month: 7, day: 1)!))
            start += length
        }
        var work: [WorkRecord] = []
        var jobStart = start
        while jobStart < 2024, work.count < 3 {
            let length = Int.random(in: 1...6, using: &random)
            let end = min(jobStart + length, 2025)
            work.append(
                WorkRecord(
                    employer: pick(Self.employers), position: pick(Self.positions),
                    startDate: CalendarDate(year: jobStart, month: Int.random(in: 1...12, using: &random), day: 1)!,
                    endDate: CalendarDate(year: end, month: 6, day: 30)!))
            jobStart = end + 1
        }
        return PersonProfile(
            name: name, residentId: number.rawValue, mobile: mobile, education: education, workHistory: work)
    }

    /// An approval form with a plausible entry date, position and contract.
    public mutating func approval() -> ApprovalForm {
        let entry = CalendarDate(year: 2025, month: Int.random(in: 1...12, using: &random), day: 1)!
        let contract: LabourContract =
            Bool.random(using: &random)
            ? LabourContract(
                kind: .fixedTerm, startDate: entry,
                endDate: CalendarDate(year: entry.year + 3, month: entry.month, day: 1))
            : LabourContract(kind: .openEnded, startDate: entry)
        return ApprovalForm(
            entryDate: entry, position: pick(Self.positions), department: pick(Self.departments), contract: contract)
    }
}
