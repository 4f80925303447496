import Foundation
import PostgresClient
import TalentAPI
import TalentCore

/// SQL for persons, associations and their history. Every read and write is scoped to a unit; a
/// foreign association reads as missing.
public struct AssociationStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    // MARK: Reads (gateway)

    /// The unit an association code (关联代码) belongs to, or `nil`. Surrounding spaces and lower case,
    /// as employees may type them, are accepted.
    /// - Returns: the unit, and whether its profile is complete (only then is the code usable).
    public func unit(associationCode: String) async throws -> (
        unitId: UnifiedSocialCreditCode, profileComplete: Bool
    )? {
        try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "unit_by_code",
                "SELECT id, profile_status = 'complete' AS complete FROM units WHERE association_code = $1",
                [associationCode.trimmingCharacters(in: .whitespaces).uppercased()])
            guard let row = rows.first else { return nil }
            return (
                try UnifiedSocialCreditCode(validating: row.requiredString("id")), try row.bool("complete") ?? false
            )
        }
    }

    /// The employee-list card: the unit's association code (registering the unit on first sight) and
    /// its counts, in one round trip.
    public func summary(unitId: UnifiedSocialCreditCode, unitName: String?) async throws -> (
        associationCode: String, counts: AssociationCounts
    ) {
        try await pool.withConnection { connection in
            let code = try UnitStore.register(unitId, name: unitName, on: connection)
            let rows = try connection.execute(
                prepared: "association_counts",
                """
                SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
                       count(*) FILTER (WHERE state = 'active') AS active
                FROM associations WHERE unit_id = $1
                """, [unitId.rawValue])
            let row = try rows.first.orThrow()
            return (code, AssociationCounts(pending: try row.int("pending") ?? 0, active: try row.int("active") ?? 0))
        }
    }

    /// Pending requests, oldest first (request time, then id: stable across pages).
    public func pending(unitId: UnifiedSocialCreditCode, filter: AssociationFilter, limit: Int, offset: Int)
        async throws -> Page<PendingRequest>
    {
        try await list(
            unitId: unitId, state: .pending, filter: filter, limit: limit, offset: offset,
            dateColumn: "(a.requested_at AT TIME ZONE 'Asia/Shanghai')::date", order: "a.requested_at, a.id",
            decode: Self.pendingRequest)
    }

    /// Current employees, by entry date then id.
    public func employees(unitId: UnifiedSocialCreditCode, filter: AssociationFilter, limit: Int, offset: Int)
        async throws -> Page<EmployeeSummary>
    {
        try await list(
            unitId: unitId, state: .active, filter: filter, limit: limit, offset: offset, dateColumn: "a.entry_date",
            order: "a.entry_date, a.id", decode: Self.employeeSummary)
    }

    private func list<Item>(
        unitId: UnifiedSocialCreditCode, state: AssociationState, filter: AssociationFilter, limit: Int, offset: Int,
        dateColumn: String, order: String, decode: @escaping @Sendable (PostgresRow) throws -> Item
    ) async throws -> Page<Item> {
        let name: String? = filter.name.map { "%" + RowDecoding.escapeLike($0) + "%" }
        let residentId: String? = filter.residentId.map { RowDecoding.escapeLike($0) + "%" }
        let position: String? = filter.position.map { "%" + RowDecoding.escapeLike($0) + "%" }
        var parameters: [PostgresValue] = [.text(unitId.rawValue), .text(state.rawValue)]
        parameters.append(name.postgresValue)
        parameters.append(residentId.postgresValue)
        parameters.append(filter.from.postgresValue)
        parameters.append(filter.to.postgresValue)
        parameters.append(position.postgresValue)
        parameters.append(filter.sex?.rawValue.postgresValue ?? .null)
        let conditions = """
            a.unit_id = $1 AND a.state = $2 AND ($3::text IS NULL OR p.name ILIKE $3)
            AND ($4::text IS NULL OR p.resident_id LIKE $4) AND ($5::date IS NULL OR \(dateColumn) >= $5)
            AND ($6::date IS NULL OR \(dateColumn) <= $6) AND ($7::text IS NULL OR a.position ILIKE $7)
            AND ($8::text IS NULL OR p.sex = $8)
            """
        return try await pool.withConnection { [parameters] connection in
            let rows = try connection.query(
                """
                SELECT \(Self.columns) FROM associations a JOIN persons p ON p.id = a.person_id
                WHERE \(conditions) ORDER BY \(order) LIMIT $9 OFFSET $10
                """, parameters + [limit.postgresValue, offset.postgresValue])
            let total = try connection.query(
                "SELECT count(*) AS total FROM associations a JOIN persons p ON p.id = a.person_id WHERE \(conditions)",
                parameters)
            return Page(
                items: try rows.rows.map(decode), total: try total.first?.int("total") ?? 0, limit: limit,
                offset: offset)
        }
    }

    /// The unit's association with everything the detail view shows, or `nil` (missing or foreign).
    public func employee(unitId: UnifiedSocialCreditCode, associationId: UUID) async throws -> EmployeeDetail? {
        try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "association_detail",
                """
                SELECT \(Self.columns), a.state, p.education::text AS education, p.work_history::text AS work_history,
                       to_char(a.leave_date, 'YYYY-MM-DD') AS leave_date,
                       \(PostgresTimestamp.rfc3339("a.decided_at"))
                FROM associations a JOIN persons p ON p.id = a.person_id WHERE a.id = $1 AND a.unit_id = $2
                """, [associationId, unitId.rawValue])
            guard let row = rows.first else { return nil }
            let history = try connection.execute(
                prepared: "association_history",
                """
                SELECT action, from_state, to_state, actor, job_id, form::text AS form, \(PostgresTimestamp.rfc3339("association_transitions.at"))
                FROM association_transitions WHERE association_id = $1 ORDER BY id
                """, [associationId])
            let summary = try Self.employeeSummary(row)
            let decoder = JSONDecoder()
            return EmployeeDetail(
                associationId: summary.associationId,
                state: try row.required("state", as: AssociationState.self), name: summary.name,
                residentId: summary.residentId, sex: summary.sex, birthDate: summary.birthDate,
                mobile: try row.string("mobile"),
                education: try decoder.decode(
                    [EducationRecord].self, from: Data(try row.requiredString("education").utf8)),
                workHistory: try decoder.decode(
                    [WorkRecord].self, from: Data(try row.requiredString("work_history").utf8)),
                position: summary.position, department: summary.department, entryDate: summary.entryDate,
                leaveDate: try row.string("leave_date").flatMap(CalendarDate.init(iso8601:)),
                contract: summary.contract, requestedAt: try row.requiredString("requested_at"),
                decidedAt: try row.string("decided_at"),
                history: try history.rows.map { transition in
                    AssociationTransition(
                        action: try transition.required("action", as: AssociationAction.self),
                        fromState: try transition.optional("from_state", as: AssociationState.self),
                        toState: try transition.required("to_state", as: AssociationState.self),
                        actor: try transition.requiredString("actor"), at: try transition.requiredString("at"),
                        jobId: try transition.requiredUUID("job_id"),
                        form: try decoder.decode(JSONValue.self, from: Data(try transition.requiredString("form").utf8))
                    )
                })
        }
    }

    /// The association's state, or `nil` when it is missing or foreign.
    public func state(unitId: UnifiedSocialCreditCode, associationId: UUID) async throws -> AssociationState? {
        try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "association_state", "SELECT state FROM associations WHERE id = $1 AND unit_id = $2",
                [associationId, unitId.rawValue])
            return try rows.first?.required("state", as: AssociationState.self)
        }
    }

    /// What the unlink rules (manual §5) look at, read in the caller's transaction, or `nil` when the
    /// association is missing or foreign. The applications in progress are the employee's business
    /// items in progress at the unit (``BusinessItemStore``). `changesInProgress` is 0: queued jobs are the job module's
    /// to count.
    public static func unlinkFacts(
        associationId: UUID, unitId: UnifiedSocialCreditCode, on connection: PostgresConnection
    ) throws -> UnlinkFacts? {
        let rows = try connection.execute(
            prepared: "unlink_facts",
            """
            SELECT a.state, to_char(a.entry_date, 'YYYY-MM-DD') AS entry_date,
                   (SELECT string_agg(DISTINCT s.service, ',' ORDER BY s.service)
                    FROM business_items s JOIN persons p ON p.id = a.person_id
                    WHERE s.unit_id = a.unit_id AND s.resident_id = p.resident_id AND s.status = 'in_progress')
                       AS applications
            FROM associations a WHERE a.id = $1 AND a.unit_id = $2
            """, [associationId, unitId.rawValue])
        guard let row = rows.first else { return nil }
        let applications = try row.string("applications")?.split(separator: ",").map(String.init) ?? []
        return UnlinkFacts(
            state: try row.required("state", as: AssociationState.self),
            applicationsInProgress: applications, changesInProgress: 0,
            entryDate: try row.string("entry_date").flatMap(CalendarDate.init(iso8601:)))
    }

    // MARK: Writes (worker), in the caller's transaction

    /// Locks associations (`FOR UPDATE`, in id order, one statement) for a batch of decisions.
    /// - Returns: each one found, with its unit, state and entry date; ids not found are absent.
    public static func lock(associationIds: [UUID], on connection: PostgresConnection) throws -> [UUID:
        LockedAssociation]
    {
        let rows = try connection.execute(
            prepared: "association_lock_batch",
            """
            SELECT id, unit_id, state, to_char(entry_date, 'YYYY-MM-DD') AS entry_date FROM associations
            WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
            """, [associationIds])
        var locked: [UUID: LockedAssociation] = [:]
        for row in rows.rows {
            locked[try row.requiredUUID("id")] = LockedAssociation(
                unitId: try row.requiredString("unit_id"), state: try row.required("state", as: AssociationState.self),
                entryDate: try row.string("entry_date").flatMap(CalendarDate.init(iso8601:)))
        }
        return locked
    }

    /// An association as ``lock(associationIds:on:)`` found it.
    public struct LockedAssociation: Sendable {
        public var unitId: String
        public var state: AssociationState
        public var entryDate: CalendarDate?
    }

    /// Writes approvals (one statement): `active`, with entry date, position and labour contract.
    public static func approve(
        _ approvals: [(associationId: UUID, form: ApprovalForm)], on connection: PostgresConnection
    )
        throws
    {
        guard !approvals.isEmpty else { return }
        let forms = approvals.map(\.form)
        try connection.execute(
            prepared: "association_approve_batch",
            """
            UPDATE associations AS a SET state = 'active', decided_at = now(), entry_date = f.entry_date,
                position = f.position, department = f.department, contract_kind = f.contract_kind,
                contract_start = f.contract_start, contract_end = f.contract_end, updated_at = now()
            FROM unnest($1::uuid[], $2::date[], $3::text[], $4::text[], $5::text[], $6::date[], $7::date[])
                AS f(id, entry_date, position, department, contract_kind, contract_start, contract_end)
            WHERE a.id = f.id
            """,
            [
                approvals.map(\.associationId), forms.map(\.entryDate), forms.map(\.position), forms.map(\.department),
                forms.map { $0.contract?.kind.rawValue }, forms.map { $0.contract?.startDate },
                forms.map { $0.contract?.endDate },
            ])
    }

    /// Writes rejections with their reasons (one statement).
    public static func reject(
        _ rejections: [(associationId: UUID, form: RejectionForm)], on connection: PostgresConnection
    ) throws {
        guard !rejections.isEmpty else { return }
        try connection.execute(
            prepared: "association_reject_batch",
            """
            UPDATE associations AS a SET state = 'rejected', decided_at = now(), rejection_reason = f.reason,
                updated_at = now()
            FROM unnest($1::uuid[], $2::text[]) AS f(id, reason)
            WHERE a.id = f.id
            """, [rejections.map(\.associationId), rejections.map(\.form.reason)])
    }

    /// Writes an unlink with leave date and reason.
    public static func unlink(associationId: UUID, _ form: UnlinkForm, on connection: PostgresConnection) throws {
        try connection.execute(
            prepared: "association_unlink",
            """
            UPDATE associations SET state = 'unlinked', leave_date = $2, unlink_reason = $3, updated_at = now()
            WHERE id = $1
            """, [associationId, form.leaveDate, form.reason])
    }

    /// Writes a new current position and labour contract.
    public static func updatePosition(
        associationId: UUID, _ form: PositionUpdateForm, on connection: PostgresConnection
    ) throws {
        try connection.execute(
            prepared: "association_position",
            """
            UPDATE associations SET position = $2, department = $3, contract_kind = $4, contract_start = $5,
                contract_end = $6, updated_at = now()
            WHERE id = $1
            """,
            [
                associationId, form.position, form.department, form.contract?.kind.rawValue,
                form.contract?.startDate, form.contract?.endDate,
            ])
    }

    /// Serialises requests for the same unit and person until the transaction ends (an advisory
    /// lock; the unique index on open associations is the last line).
    public static func lockRequests(
        unitId: UnifiedSocialCreditCode, person: ResidentIdentityNumber, on connection: PostgresConnection
    ) throws {
        try connection.execute(
            prepared: "request_lock", "SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2))",
            [unitId.rawValue, person.rawValue])
    }

    /// The state of the person's open (pending or active) association with the unit, if any.
    public static func openState(
        unitId: UnifiedSocialCreditCode, person: ResidentIdentityNumber, on connection: PostgresConnection
    ) throws -> AssociationState? {
        let rows = try connection.execute(
            prepared: "association_open",
            """
            SELECT a.state FROM associations a JOIN persons p ON p.id = a.person_id
            WHERE a.unit_id = $1 AND p.resident_id = $2 AND a.state IN ('pending', 'active')
            """, [unitId.rawValue, person.rawValue])
        return try rows.first?.required("state", as: AssociationState.self)
    }

    /// Stores the person's latest profile from the personal-edition portal (the source of their
    /// data); birth date and sex come from the identity number. - Returns: the person's id.
    public static func upsertPerson(
        _ profile: PersonProfile, number: ResidentIdentityNumber, mobile: MobileNumber?,
        on connection: PostgresConnection
    ) throws -> UUID {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let education = String(decoding: try encoder.encode(profile.education), as: UTF8.self)
        let work = String(decoding: try encoder.encode(profile.workHistory), as: UTF8.self)
        let person = try connection.execute(
            prepared: "person_upsert",
            """
            INSERT INTO persons (id, resident_id, name, birth_date, sex, mobile, education, work_history)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
            ON CONFLICT (resident_id) DO UPDATE SET name = EXCLUDED.name, mobile = EXCLUDED.mobile,
                education = EXCLUDED.education, work_history = EXCLUDED.work_history, updated_at = now()
            RETURNING id
            """,
            [
                UUID(), number.rawValue, profile.name, number.birthDate, number.sex.rawValue, mobile?.rawValue,
                education, work,
            ])
        return try person.first.orThrow().requiredUUID("id")
    }

    /// Inserts a new `pending` association (a request).
    public static func insertPending(
        associationId: UUID, unitId: UnifiedSocialCreditCode, personId: UUID, requestedAt: Date,
        on connection: PostgresConnection
    ) throws {
        try connection.execute(
            prepared: "association_insert",
            """
            INSERT INTO associations (id, unit_id, person_id, state, requested_at) VALUES ($1, $2, $3, 'pending', $4)
            """, [associationId, unitId.rawValue, personId, requestedAt])
    }

    /// One step of an association's history, written with the decision that made it.
    public struct Transition: Sendable {
        public var associationId: UUID
        public var jobId: UUID
        public var action: AssociationAction
        public var from: AssociationState?
        public var to: AssociationState
        public var actor: String
        /// The decision's form as JSON.
        public var form: String

        public init(
            associationId: UUID, jobId: UUID, action: AssociationAction, from: AssociationState?,
            to: AssociationState, actor: String, form: String
        ) {
            self.associationId = associationId
            self.jobId = jobId
            self.action = action
            self.from = from
            self.to = to
            self.actor = actor
            self.form = form
        }
    }

    /// Appends steps to associations' histories (one statement).
    public static func record(_ transitions: [Transition], on connection: PostgresConnection) throws {
        guard !transitions.isEmpty else { return }
        try connection.execute(
            prepared: "transition_insert_batch",
            """
            INSERT INTO association_transitions (association_id, job_id, action, from_state, to_state, actor, form)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
            """,
            [
                transitions.map(\.associationId), transitions.map(\.jobId), transitions.map(\.action.rawValue),
                transitions.map { $0.from?.rawValue }, transitions.map(\.to.rawValue), transitions.map(\.actor),
                transitions.map(\.form),
            ])
    }

    // MARK: Row decoding

    static let columns = """
        a.id, p.name, p.resident_id, p.sex, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, p.mobile,
        a.position, a.department, to_char(a.entry_date, 'YYYY-MM-DD') AS entry_date, a.contract_kind,
        to_char(a.contract_start, 'YYYY-MM-DD') AS contract_start, to_char(a.contract_end, 'YYYY-MM-DD') AS contract_end,
        \(PostgresTimestamp.rfc3339("a.requested_at")),
        (SELECT e->>'degree' FROM jsonb_array_elements(p.education) e
         ORDER BY e->>'startDate' DESC LIMIT 1) AS degree
        """

    @Sendable static func pendingRequest(_ row: PostgresRow) throws -> PendingRequest {
        PendingRequest(
            associationId: try row.requiredUUID("id"), name: try row.requiredString("name"),
            residentId: try row.requiredString("resident_id"),
            sex: try row.required("sex", as: Sex.self),
            birthDate: try Self.date(row, "birth_date"),
            mobile: try row.string("mobile"), degree: try row.string("degree"),
            requestedAt: try row.requiredString("requested_at"))
    }

    @Sendable static func employeeSummary(_ row: PostgresRow) throws -> EmployeeSummary {
        var contract: LabourContract?
        if let kind = try row.string("contract_kind").flatMap(LabourContract.Kind.init(rawValue:)),
            let start = try row.string("contract_start").flatMap(CalendarDate.init(iso8601:))
        {
            contract = LabourContract(
                kind: kind, startDate: start,
                endDate: try row.string("contract_end").flatMap(CalendarDate.init(iso8601:)))
        }
        return EmployeeSummary(
            associationId: try row.requiredUUID("id"), name: try row.requiredString("name"),
            residentId: try row.requiredString("resident_id"),
            sex: try row.required("sex", as: Sex.self),
            birthDate: try Self.date(row, "birth_date"),
            position: try row.string("position"), department: try row.string("department"),
            entryDate: try row.string("entry_date").flatMap(CalendarDate.init(iso8601:)), contract: contract)
    }

    /// A `YYYY-MM-DD` column that cannot be NULL.
    static func date(_ row: PostgresRow, _ column: String) throws -> CalendarDate {
        guard let date = CalendarDate(iso8601: try row.requiredString(column)) else {
            throw PostgresError(code: .unexpectedResult, message: "\(column) is not a date")
        }
        return date
    }

}

extension CalendarDate: PostgresBindable {
    public var postgresValue: PostgresValue { .text(description) }
}
