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

    /// Every rule the profile breaks as of `today` (fields relative to the profile), and the
    /// validated identity number when it is valid (with its warning).
    public func problems(today: CalendarDate) -> (problems: [FieldProblem], residentId: ResidentIdentityNumber?) {
        var problems = FormText.problems(name, field: "name", maxLength: 50)
        var number: ResidentIdentityNumber?
        do {
            number = try ResidentIdentityNumber(validating: residentId, today: today)
        } catch {
            problems.append(
                FieldProblem(
                    field: "residentId", code: error.reason.rawValue,
                    message: "not a valid resident identity number (GB 11643-1999): \(error.reason.rawValue)"))
        }
        if let mobile {
            do {
                _ = try MobileNumber(validating: mobile)
            } catch {
                problems.append(
                    FieldProblem(
                        field: "mobile", code: error.reason.rawValue,
                        message: "not a mainland mobile number: \(error.reason.rawValue)"))
            }
        }
        if education.count > 20 {
            problems.append(FieldProblem(field: "education", code: "too_many", message: "at most 20 education records"))
        }
        if workHistory.count > 50 {
            problems.append(
                FieldProblem(field: "workHistory", code: "too_many", message: "at most 50 work-history records"))
        }
        for (index, record) in education.prefix(20).enumerated() {
            problems += record.problems().map { $0.within("education[\(index)]") }
        }
        for (index, record) in workHistory.prefix(50).enumerated() {
            problems += record.problems().map { $0.within("workHistory[\(index)]") }
        }
        return (problems, number)
    }

    /// Checks every field as of `today`; returns the validated identity number (with its warning).
    /// - Throws: ``AssociationRefusal`` `invalid_form` naming every problem.
    public func validate(today: CalendarDate) throws(AssociationRefusal) -> ResidentIdentityNumber {
        let (problems, number) = problems(today: today)
        try problems.throwIfAny()
        guard let number else { throw AssociationRefusal(.invalidForm, "residentId: not valid") }
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

    func problems() -> [FieldProblem] {
        FormText.problems(school, field: "school", maxLength: 100)
            + (major.map { FormText.problems($0, field: "major", maxLength: 100) } ?? [])
            + FormText.problems(degree, field: "degree", maxLength: 50)
            + FormText.endDateProblems(startDate, endDate)
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

    func problems() -> [FieldProblem] {
        FormText.problems(employer, field: "employer", maxLength: 100)
            + FormText.problems(position, field: "position", maxLength: 100)
            + FormText.endDateProblems(startDate, endDate)
    }
}
