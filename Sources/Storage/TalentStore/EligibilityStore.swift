import Foundation
import PostgresClient
import TalentCore

/// SQL for restricted-service eligibility (manual §4): the rule sets, each unit's stored decisions,
/// their inputs kept here (the credit restriction list, registration changes) and the daily sweep.
///
/// Every change of an input recomputes the decisions of the units it touches in its own transaction
/// (``recompute(units:today:on:)``): the units' rows are locked first (`FOR NO KEY UPDATE`, in id
/// order), so two recomputations of one unit serialise and the later one reads the earlier one's
/// committed inputs; then the rule set and today are read, one statement reads every unit's facts
/// and one writes the decisions that changed — never over a decision of a newer rule set or a later
/// day.
public struct EligibilityStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Units recomputed per sweep transaction (their rows stay locked until it commits).
    public static let defaultSweepChunkSize = 1_000

    // MARK: Rule sets

    /// The current (highest) rule set, in the caller's transaction.
    /// - Throws: ``PostgresError``; ``EligibilityStoreError`` `rules_unreadable` when the stored JSON
    ///   does not decode.
    public static func currentRuleSet(on connection: PostgresConnection) throws -> EligibilityRuleSet {
        let rows = try connection.execute(
            prepared: "eligibility_rule_set_current",
            "SELECT version, rules::text AS rules FROM eligibility_rule_sets ORDER BY version DESC LIMIT 1")
        guard let row = rows.first, let text = try row.string("rules"),
            var rules = try? JSONDecoder().decode(EligibilityRuleSet.self, from: Data(text.utf8))
        else {
            throw EligibilityStoreError(code: .rulesUnreadable, detail: "no readable row in eligibility_rule_sets")
        }
        rules.version = try row.int("version") ?? rules.version
        return rules
    }

    /// The current rule set with who published it and when.
    public func currentRuleSet() async throws -> (EligibilityRuleSet, publishedBy: String, publishedAt: String) {
        try await pool.withConnection { connection in
            let rules = try Self.currentRuleSet(on: connection)
            let row = try connection.execute(
                prepared: "eligibility_rule_set_publication",
                """
                SELECT published_by, \(PostgresTimestamp.rfc3339("published_at"))
                FROM eligibility_rule_sets WHERE version = $1
                """, [rules.version]
            ).first
            return (rules, try row?.string("published_by") ?? "", try row?.string("published_at") ?? "")
        }
    }

    /// Publishes `rules` as the next version (its own `version` is replaced).
    /// - Returns: the version given.
    /// - Throws: ``EligibilityStoreError`` `invalid_rules` listing ``EligibilityRuleSet/problems()``.
    public func publish(_ rules: EligibilityRuleSet, by publisher: String) async throws -> Int {
        try await pool.transaction { connection in
            try connection.execute(
                prepared: "eligibility_rule_set_lock", "LOCK TABLE eligibility_rule_sets IN EXCLUSIVE MODE")
            let next =
                try connection.execute(
                    prepared: "eligibility_rule_set_next",
                    "SELECT COALESCE(max(version), 0) + 1 AS next FROM eligibility_rule_sets"
                ).first?.int("next") ?? 1
            var published = rules
            published.version = next
            let problems = published.problems()
            guard problems.isEmpty else {
                throw EligibilityStoreError(code: .invalidRules, detail: problems.joined(separator: "; "))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try connection.execute(
                prepared: "eligibility_rule_set_insert",
                "INSERT INTO eligibility_rule_sets (version, rules, published_by) VALUES ($1, $2::jsonb, $3)",
                [next, String(decoding: try encoder.encode(published), as: UTF8.self), publisher])
            return next
        }
    }

    // MARK: Recomputation (in the transaction of the change)

    /// Recomputes the decisions of `units` under the current rule set, in the caller's transaction
    /// (the change of an input's): locks the units, then reads the rule set and `today` (so a change
    /// that waited for a lock decides with what is current when it gets it). Units the platform has not
    /// seen are skipped. A rule set that does not decode skips the recomputation rather than fail the
    /// caller's change (the sweep, which fails on it too, logs it every tick).
    /// - Parameter today: today in Beijing, read once the units are locked.
    /// - Returns: how many units were looked at and how many decisions changed.
    /// - Throws: ``PostgresError``.
    @discardableResult
    public static func recompute(
        units: [String], today: () -> CalendarDate, on connection: PostgresConnection
    ) throws -> (units: Int, changed: Int) {
        guard !units.isEmpty else { return (0, 0) }
        try connection.execute(
            prepared: "eligibility_lock_units",
            "SELECT id FROM units WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE",
            [Array(Set(units)).sorted()])
        let ruleSet: EligibilityRuleSet
        do {
            ruleSet = try currentRuleSet(on: connection)
        } catch is EligibilityStoreError {
            return (0, 0)
        }
        return try recomputeLocked(units: units, ruleSet: ruleSet, today: today(), on: connection)
    }

    /// Reads the facts of `units` (already locked) in one statement, evaluates, writes what changed.
    static func recomputeLocked(
        units: [String], ruleSet: EligibilityRuleSet, today: CalendarDate, on connection: PostgresConnection
    ) throws -> (units: Int, changed: Int) {
        let facts = try facts(of: units, on: connection)
        var unitIds: [String] = []
        var services: [String] = []
        var statuses: [String] = []
        var reasons: [String] = []
        var versions: [Int] = []
        var days: [String] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for (id, facts) in facts {
            for decision in EligibilityRules.evaluate(facts, ruleSet: ruleSet, today: today) {
                unitIds.append(id)
                services.append(decision.service.rawValue)
                statuses.append(decision.status.rawValue)
                reasons.append(String(decoding: try encoder.encode(decision.reasons), as: UTF8.self))
                versions.append(decision.ruleSetVersion)
                days.append(today.description)
            }
        }
        guard !unitIds.isEmpty else { return (0, 0) }
        let changed = try connection.execute(
            prepared: "eligibility_write",
            """
            INSERT INTO unit_eligibility AS e (unit_id, service, status, reasons, rule_set_version, evaluated_on)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::int[], $6::date[])
            ON CONFLICT (unit_id, service) DO UPDATE
            SET status = excluded.status, reasons = excluded.reasons, rule_set_version = excluded.rule_set_version,
                evaluated_on = excluded.evaluated_on, decided_at = now()
            WHERE excluded.rule_set_version >= e.rule_set_version AND excluded.evaluated_on >= e.evaluated_on
              AND (e.status, e.reasons, e.rule_set_version)
                  IS DISTINCT FROM (excluded.status, excluded.reasons, excluded.rule_set_version)
            """, [unitIds, services, statuses, reasons, versions, days]
        ).affectedRows
        return (facts.count, changed)
    }

    /// What the rules look at for each of `units` the platform has seen, read in one statement in the
    /// caller's transaction: the profile, the credit list, unfiled registration changes (a profile
    /// submission accepted on or after a change's day, Beijing time, files it) and the permit holders
    /// (current employees with an approved work residence permit item at the unit).
    public static func facts(of units: [String], on connection: PostgresConnection) throws -> [(
        unitId: String, facts: EligibilityFacts
    )] {
        let rows = try connection.execute(
            prepared: "eligibility_facts",
            """
            SELECT u.id, u.profile_status = 'complete' AS complete, u.unit_type, u.district,
                   (u.profile #> '{qualifications,items}')::text AS qualifications,
                   EXISTS (SELECT 1 FROM credit_restrictions c WHERE c.unit_id = u.id) AS credit,
                   (SELECT string_agg(to_char(r.changed_on, 'YYYY-MM-DD'), ',') FROM unit_registration_changes r
                    WHERE r.unit_id = u.id
                      AND (u.profile_submitted_at IS NULL
                           OR (u.profile_submitted_at AT TIME ZONE 'Asia/Shanghai')::date < r.changed_on)) AS unfiled,
                   (SELECT count(DISTINCT b.resident_id) FROM business_items b
                    JOIN persons p ON p.resident_id = b.resident_id
                    JOIN associations a ON a.person_id = p.id AND a.unit_id = b.unit_id AND a.state = 'active'
                    WHERE b.unit_id = u.id AND b.service = 'work_residence_permit' AND b.status = 'approved')
                       AS holders
            FROM units u WHERE u.id = ANY($1::text[])
            """, [units])
        return try rows.rows.map { (try $0.requiredString("id"), try facts($0)) }
    }

    /// The facts of one row of `eligibility_facts`.
    static func facts(_ row: PostgresRow) throws -> EligibilityFacts {
        let qualifications = try row.string("qualifications").flatMap {
            try? JSONDecoder().decode([Qualification].self, from: Data($0.utf8))
        }
        return EligibilityFacts(
            profileComplete: try row.bool("complete") ?? false,
            unitType: try row.optional("unit_type", as: UnitType.self),
            district: try row.string("district"), qualifications: qualifications ?? [],
            creditRestricted: try row.bool("credit") ?? false,
            unfiledChanges: try row.string("unfiled")?.split(separator: ",").compactMap {
                CalendarDate(iso8601: String($0))
            } ?? [],
            permitHolders: try row.int("holders") ?? 0)
    }

    // MARK: Inputs (eligibility worker), in the caller's transaction

    /// Puts `added` on the credit restriction list (a unit already listed keeps its first listing) and
    /// takes `removed` off it.
    public static func updateCreditList(
        added: [String], removed: [String], reason: String?, by actor: String, jobId: UUID,
        on connection: PostgresConnection
    ) throws {
        if !added.isEmpty {
            try connection.execute(
                prepared: "credit_list_add",
                """
                INSERT INTO credit_restrictions (unit_id, reason, listed_by, job_id)
                SELECT unnest($1::text[]), $2, $3, $4 ON CONFLICT (unit_id) DO NOTHING
                """, [added, reason, actor, jobId])
        }
        if !removed.isEmpty {
            try connection.execute(
                prepared: "credit_list_remove", "DELETE FROM credit_restrictions WHERE unit_id = ANY($1::text[])",
                [removed])
        }
    }

    /// Records registration changes (one reported twice is kept once).
    public static func recordRegistrationChanges(
        _ changes: [RegistrationChange], by actor: String, jobId: UUID, on connection: PostgresConnection
    ) throws {
        guard !changes.isEmpty else { return }
        try connection.execute(
            prepared: "registration_changes_record",
            """
            INSERT INTO unit_registration_changes (unit_id, changed_on, reported_by, job_id)
            SELECT u, d, $3, $4 FROM unnest($1::text[], $2::date[]) AS t (u, d)
            ON CONFLICT (unit_id, changed_on) DO NOTHING
            """, [changes.map(\.unitId.rawValue), changes.map(\.changedOn.description), actor, jobId])
    }

    // MARK: The daily sweep

    /// What one sweep chunk did.
    public struct SweepChunk: Sendable, Hashable {
        /// Units recomputed.
        public var units: Int
        /// Decisions that changed.
        public var changed: Int
        /// Whether the day's sweep is now complete.
        public var completed: Bool
    }

    /// Recomputes the next `chunkSize` units of `day`'s sweep, in the caller's transaction: the day's
    /// row is created if missing and locked `FOR UPDATE SKIP LOCKED`, so while one replica runs a
    /// chunk another skips it instead of recomputing the same units. A unit row held by another
    /// transaction for more than 5 s (`lock_timeout`) fails the chunk: it is tried again next tick.
    /// - Returns: `nil` when the day's sweep is complete or another replica holds it right now.
    public static func sweepChunk(day: CalendarDate, chunkSize: Int, on connection: PostgresConnection) throws
        -> SweepChunk?
    {
        try connection.execute(prepared: "eligibility_sweep_lock_timeout", "SET LOCAL lock_timeout = '5s'")
        try connection.execute(
            prepared: "eligibility_sweep_start",
            "INSERT INTO eligibility_sweeps (day) VALUES ($1::date) ON CONFLICT (day) DO NOTHING", [day.description])
        guard
            let sweep = try connection.execute(
                prepared: "eligibility_sweep_lock",
                """
                SELECT cursor FROM eligibility_sweeps WHERE day = $1::date AND completed_at IS NULL
                FOR UPDATE SKIP LOCKED
                """, [day.description]
            ).first
        else { return nil }
        let cursor = try sweep.requiredString("cursor")
        let units = try connection.execute(
            prepared: "eligibility_sweep_units",
            "SELECT id FROM units WHERE id > $1 ORDER BY id LIMIT $2 FOR NO KEY UPDATE", [cursor, chunkSize]
        ).rows.map { try $0.requiredString("id") }
        let ruleSet = try currentRuleSet(on: connection)
        let (count, changed) = try recomputeLocked(units: units, ruleSet: ruleSet, today: day, on: connection)
        let completed = units.count < chunkSize
        try connection.execute(
            prepared: "eligibility_sweep_advance",
            """
            UPDATE eligibility_sweeps SET cursor = COALESCE($2, cursor), units = units + $3, changed = changed + $4,
                chunks = chunks + 1, completed_at = CASE WHEN $5 THEN now() END
            WHERE day = $1::date
            """, [day.description, units.last, count, changed, completed])
        return SweepChunk(units: count, changed: changed, completed: completed)
    }

    /// What a process's share of a day's sweep did (``sweep(day:chunkSize:)``).
    public struct SweepShare: Sendable, Hashable {
        /// Units this process recomputed.
        public var units: Int
        /// Decisions that changed.
        public var changed: Int
        /// Whether this process finished the day's sweep (its last chunk).
        public var completed: Bool
    }

    /// Works through `day`'s sweep, one transaction per chunk of `chunkSize` units, until it is
    /// complete or another process holds the day's row (it goes on with the rest).
    /// - Throws: ``PostgresError``, ``EligibilityStoreError``; `CancellationError` between chunks.
    public func sweep(day: CalendarDate, chunkSize: Int) async throws -> SweepShare {
        var share = SweepShare(units: 0, changed: 0, completed: false)
        while !share.completed {
            try Task.checkCancellation()
            let chunk = try await pool.transaction { connection in
                try Self.sweepChunk(day: day, chunkSize: max(1, chunkSize), on: connection)
            }
            guard let chunk else { break }
            share.units += chunk.units
            share.changed += chunk.changed
            share.completed = chunk.completed
        }
        return share
    }

    /// Forgets `day`'s sweep so that the next one starts again from the first unit (operators, after
    /// publishing a rule set; the benchmark).
    public func restartSweep(day: CalendarDate) async throws {
        try await pool.withConnection { connection in
            try connection.execute(
                prepared: "eligibility_sweep_restart", "DELETE FROM eligibility_sweeps WHERE day = $1::date",
                [day.description])
        }
    }

    /// A day's sweep as recorded.
    public struct SweepStatus: Sendable, Hashable, Codable {
        public var day: String
        public var units: Int
        public var changed: Int
        public var chunks: Int
        public var startedAt: String
        public var completedAt: String?
    }

    /// `day`'s sweep, `nil` before it started.
    public func sweepStatus(day: CalendarDate) async throws -> SweepStatus? {
        try await pool.withConnection { connection in
            guard
                let row = try connection.execute(
                    prepared: "eligibility_sweep_status",
                    """
                    SELECT to_char(day, 'YYYY-MM-DD') AS day, units, changed, chunks,
                           \(PostgresTimestamp.rfc3339("started_at")), \(PostgresTimestamp.rfc3339("completed_at"))
                    FROM eligibility_sweeps WHERE day = $1::date
                    """, [day.description]
                ).first
            else { return nil }
            return SweepStatus(
                day: try row.requiredString("day"), units: try row.int("units") ?? 0,
                changed: try row.int("changed") ?? 0, chunks: try row.int("chunks") ?? 0,
                startedAt: try row.requiredString("started_at"), completedAt: try row.string("completed_at"))
        }
    }

    // MARK: Reads (gateway)

    /// The unit's stored decision per restricted service; when the unit has none (never evaluated:
    /// no input of it changed since it appeared, or it predates the rules and the sweep has not reached
    /// it) its facts are evaluated now under the current rule set, writing nothing.
    public func decisions(unitId: UnifiedSocialCreditCode) async throws -> [StoredDecision] {
        try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "eligibility_decisions",
                """
                SELECT service, status, reasons::text AS reasons, rule_set_version,
                       \(PostgresTimestamp.rfc3339("decided_at"))
                FROM unit_eligibility WHERE unit_id = $1
                """, [unitId.rawValue])
            var stored: [RestrictedService: StoredDecision] = [:]
            for row in rows.rows {
                let service = try row.required("service", as: RestrictedService.self)
                let reasons =
                    (try row.string("reasons")).flatMap {
                        try? JSONDecoder().decode([EligibilityReason].self, from: Data($0.utf8))
                    } ?? []
                var decision = EligibilityDecision(
                    service: service, reasons: reasons, ruleSetVersion: try row.int("rule_set_version") ?? 0)
                decision.status = try row.required("status", as: EligibilityDecision.Status.self)
                stored[service] = StoredDecision(decision: decision, decidedAt: try row.string("decided_at"))
            }
            if stored.count < RestrictedService.allCases.count {
                let ruleSet = try Self.currentRuleSet(on: connection)
                let facts = try Self.facts(of: [unitId.rawValue], on: connection).first?.facts ?? .unknown
                for decision in EligibilityRules.evaluate(facts, ruleSet: ruleSet, today: CalendarDate.today())
                where stored[decision.service] == nil {
                    stored[decision.service] = StoredDecision(decision: decision, decidedAt: nil)
                }
            }
            return RestrictedService.allCases.compactMap { stored[$0] }
        }
    }

    /// A decision as stored, with when it was made (`nil`: never stored).
    public struct StoredDecision: Sendable, Hashable {
        public var decision: EligibilityDecision
        /// RFC 3339.
        public var decidedAt: String?
    }
}
