/// An employee's data as the personal-edition portal sends it with an association request.
/// Birth date and sex are not fields: they are derived from ``residentId`` (GB 11643-1999).
public struct PersonProfile: Sendable, Hashable, Codable {
    /// Full name (姓名), 1–50 characters.
    public var name: String
    /// Resident identity number (公民身份号码), validated with ``ResidentIdentityNumber``.
    public var residentId: String
    public var mobile: String?
    public var education: [EducationRecord]
    public var workHistory: [WorkRecord]

    public init(
        name: String, residentId: String, mobile: String? = nil, education: [EducationRecord] = [],
        workHistory: [WorkRecord] = []
    ) {
        self.name = name
        self.residentId = residentId
        self.mobile = mobile
        self.education = education
        self.workHistory = workHistory
    }

    /// Checks every field as of `today`; returns the validated identity number (with its warning).
    /// - Throws: ``AssociationRefusal`` `invalid_form` naming the field and the reason code.
    public func validate(today: CalendarDate) throws(AssociationRefusal) -> ResidentIdentityNumber {
        try FormText.check(name, field: "name", maxLength: 50)
        let number: ResidentIdentityNumber
        do {
            number = try ResidentIdentityNumber(validating: residentId, today: today)
        } catch {
            throw AssociationRefusal(.invalidForm, "residentId: \(error.reason.rawValue)")
        }
        if let mobile {
            do {
                _ = try MobileNumber(validating: mobile)
            } catch {
                throw AssociationRefusal(.invalidForm, "mobile: \(error.reason.rawValue)")
            }
        }
        guard education.count <= 20, workHistory.count <= 50 else {
            throw AssociationRefusal(.invalidForm, "at most 20 education and 50 work-history records")
        }
        for record in education { try record.validate() }
        for record in workHistory { try record.validate() }
        return number
    }
}

/// One education record (教育信息).
public struct EducationRecord: Sendable, Hashable, Codable {
    public var school: String
    public var major: String?
    /// Degree or level, e.g. 本科, 硕士.
    public var degree: String
    public var startDate: CalendarDate
    public var endDate: CalendarDate?

    public init(school: String, major: String?, degree: String, startDate: CalendarDate, endDate: CalendarDate?) {
        self.school = school
        self.major = major
        self.degree = degree
        self.startDate = startDate
        self.endDate = endDate
    }

    func validate() throws(AssociationRefusal) {
        try FormText.check(school, field: "education.school", maxLength: 100)
        if let major { try FormText.check(major, field: "education.major", maxLength: 100) }
        try FormText.check(degree, field: "education.degree", maxLength: 50)
        if let endDate, endDate < startDate {
            throw AssociationRefusal(.invalidForm, "education: ends before it starts")
        }
    }
}

/// One work-history record (工作经历).
public struct WorkRecord: Sendable, Hashable, Codable {
    public var employer: String
    public var position: String
    public var startDate: CalendarDate
    public var endDate: CalendarDate?

    public init(employer: String, position: String, startDate: CalendarDate, endDate: CalendarDate?) {
        self.employer = employer
        self.position = position
        self.startDate = startDate
        self.endDate = endDate
    }

    func validate() throws(AssociationRefusal) {
        try FormText.check(employer, field: "workHistory.employer", maxLength: 100)
        try FormText.check(position, field: "workHistory.position", maxLength: 100)
        if let endDate, endDate < startDate {
            throw AssociationRefusal(.invalidForm, "workHistory: ends before it starts")
        }
    }
}
