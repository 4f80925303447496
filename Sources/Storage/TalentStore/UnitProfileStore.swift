import Foundation
import PostgresClient
import TalentAPI
import TalentCore

/// SQL for unit profiles (manual §2, §6): the current profile on the unit's row, the draft's saved
/// steps, and the history of changes. Everything is scoped to one unit; attachments are read within
/// it only.
public struct UnitProfileStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The unit's profile as the gateway reads it.
    public struct Snapshot: Sendable, Hashable {
        public var status: UnitHome.ProfileStatus
        public var name: String?
        public var associationCode: String
        /// `nil` until the profile is complete.
        public var current: UnitProfile?
        public var draft: UnitProfile
        public var draftSteps: [ProfileDraftStep]
        public var completedAt: String?
        public var updatedAt: String?

        /// Revision of each saved step.
        public var draftRevisions: [ProfileStep: Int] {
            Dictionary(uniqueKeysWithValues: draftSteps.map { ($0.step, $0.revision) })
        }

        /// The profile a submission sends: the draft's steps over the current profile.
        public var merged: UnitProfile { (current ?? UnitProfile()).overlaid(by: draft) }
    }

    // MARK: Reads and draft saves (gateway)

    /// The unit's profile, current and draft (registering the unit on first sight).
    public func snapshot(unitId: UnifiedSocialCreditCode, unitName: String?) async throws -> Snapshot {
        try await pool.withConnection { connection in
            try UnitStore.register(unitId, name: unitName, on: connection)
            return try Self.snapshot(unitId: unitId, on: connection)
        }
    }

    static func snapshot(unitId: UnifiedSocialCreditCode, on connection: PostgresConnection) throws -> Snapshot {
        let unit = try connection.execute(
            prepared: "unit_profile_read",
            """
            SELECT name, association_code, profile_status, profile::text AS profile,
                   \(PostgresTimestamp.rfc3339("profile_completed_at")), \(PostgresTimestamp.rfc3339("profile_updated_at"))
            FROM units WHERE id = $1
            """, [unitId.rawValue]
        ).first.orThrow()
        let drafts = try connection.execute(
            prepared: "unit_profile_draft_read",
            """
            SELECT step, content::text AS content, revision, saved_by, \(PostgresTimestamp.rfc3339("saved_at"))
            FROM unit_profile_drafts WHERE unit_id = $1
            """, [unitId.rawValue])
        var draft = UnitProfile()
        var steps: [ProfileDraftStep] = []
        for row in drafts.rows {
            let step = try row.required("step", as: ProfileStep.self)
            let content = Data(try row.requiredString("content").utf8)
            // A stored step that no longer decodes (its shape changed) reads as not saved.
            guard (try? Self.decode(step, content, into: &draft)) != nil else { continue }
            steps.append(
                ProfileDraftStep(
                    step: step, revision: try row.int("revision") ?? 1, savedBy: try row.requiredString("saved_by"),
                    savedAt: try row.requiredString("saved_at")))
        }
        return Snapshot(
            status: try unit.required("profile_status", as: UnitHome.ProfileStatus.self),
            name: try unit.string("name"), associationCode: try unit.requiredString("association_code"),
            current: try unit.string("profile").map { try JSONDecoder().decode(UnitProfile.self, from: Data($0.utf8)) },
            draft: draft, draftSteps: steps.sorted { $0.step < $1.step },
            completedAt: try unit.string("profile_completed_at"), updatedAt: try unit.string("profile_updated_at"))
    }

    static func decode(_ step: ProfileStep, _ content: Data, into profile: inout UnitProfile) throws {
        let decoder = JSONDecoder()
        switch step {
        case .generalInformation:
            profile.generalInformation = try decoder.decode(GeneralInformation.self, from: content)
        case .qualifications: profile.qualifications = try decoder.decode(QualificationsStep.self, from: content)
        case .businessHandler: profile.businessHandler = try decoder.decode(BusinessHandler.self, from: content)
        case .attachments: profile.attachments = try decoder.decode(AttachmentsStep.self, from: content)
        }
    }

    /// Saves one step of the draft (a new revision when it was saved before).
    /// - Parameter content: the step's JSON (``UnitProfile``'s step types).
    public func save(
        step: ProfileStep, content: String, unitId: UnifiedSocialCreditCode, unitName: String?, savedBy: String
    ) async throws -> ProfileDraftStep {
        try await pool.transaction { connection in
            try UnitStore.register(unitId, name: unitName, on: connection)
            let row = try connection.execute(
                prepared: "unit_profile_draft_save",
                """
                INSERT INTO unit_profile_drafts (unit_id, step, content, saved_by) VALUES ($1, $2, $3::jsonb, $4)
                ON CONFLICT (unit_id, step) DO UPDATE SET content = EXCLUDED.content,
                    revision = nextval('unit_profile_draft_revisions'), saved_by = EXCLUDED.saved_by, saved_at = now()
                RETURNING revision, \(PostgresTimestamp.rfc3339("saved_at"))
                """, [unitId.rawValue, step.rawValue, content, savedBy]
            ).first.orThrow()
            return ProfileDraftStep(
                step: step, revision: try row.int("revision") ?? 1, savedBy: savedBy,
                savedAt: try row.requiredString("saved_at"))
        }
    }

    /// What the rules need about the attachments `ids` name, among the unit's attachments not deleted.
    public func attachmentFacts(unitId: UnifiedSocialCreditCode, ids: [UUID]) async throws
        -> [UUID: ProfileAttachmentFacts]
    {
        guard !ids.isEmpty else { return [:] }
        return try await pool.withConnection { connection in
            try Self.attachmentFacts(unitId: unitId, ids: ids, on: connection)
        }
    }

    /// The attachments `ids` names, as they are now (the unit's, not deleted), in the order given.
    public func attachments(unitId: UnifiedSocialCreditCode, ids: [UUID]) async throws -> [AttachmentRecord] {
        guard !ids.isEmpty else { return [] }
        return try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "unit_profile_attachments",
                """
                SELECT \(RowDecoding.attachmentColumns) FROM attachments
                WHERE unit_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL
                """, [unitId.rawValue, ids])
            let records = try rows.rows.map(RowDecoding.attachment)
            return ids.compactMap { id in records.first { $0.id == id } }
        }
    }

    /// The history of the current profile, newest first.
    public func changes(unitId: UnifiedSocialCreditCode, limit: Int, offset: Int) async throws -> Page<ProfileChange> {
        try await pool.withConnection { connection in
            let rows = try connection.execute(
                prepared: "unit_profile_changes",
                """
                SELECT job_id, actor, step, field, before::text AS before, after::text AS after,
                       \(PostgresTimestamp.rfc3339("at"))
                FROM unit_profile_changes WHERE unit_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3
                """, [unitId.rawValue, limit, offset])
            let decoder = JSONDecoder()
            let items = try rows.rows.map { row in
                ProfileChange(
                    jobId: try row.requiredUUID("job_id"), actor: try row.requiredString("actor"),
                    step: try row.required("step", as: ProfileStep.self), field: try row.requiredString("field"),
                    before: try row.string("before").map { try decoder.decode(JSONValue.self, from: Data($0.utf8)) },
                    after: try row.string("after").map { try decoder.decode(JSONValue.self, from: Data($0.utf8)) },
                    at: try row.requiredString("at"))
            }
            let total = try connection.execute(
                prepared: "unit_profile_changes_count",
                "SELECT count(*) AS total FROM unit_profile_changes WHERE unit_id = $1", [unitId.rawValue])
            return Page(items: items, total: try total.first?.int("total") ?? 0, limit: limit, offset: offset)
        }
    }

    // MARK: Effects (unit-profile worker, in the job's transaction)

    /// The unit's row locked (`FOR UPDATE`: one profile change of a unit at a time): its status and
    /// current profile; `nil` when the unit does not exist.
    public static func lock(unitId: UnifiedSocialCreditCode, on connection: PostgresConnection) throws -> (
        status: UnitHome.ProfileStatus, current: UnitProfile?
    )? {
        guard
            let row = try connection.execute(
                prepared: "unit_profile_lock",
                "SELECT profile_status, profile::text AS profile FROM units WHERE id = $1 FOR UPDATE",
                [unitId.rawValue]
            ).first
        else { return nil }
        return (
            try row.required("profile_status", as: UnitHome.ProfileStatus.self),
            try row.string("profile").map { try JSONDecoder().decode(UnitProfile.self, from: Data($0.utf8)) }
        )
    }

    /// What the rules need about the attachments `ids` names, among the unit's attachments not deleted.
    /// The rows are read `FOR SHARE`: in the worker's transaction a delete of one of them waits until
    /// the submission has committed (and then sees the profile naming it: `attachment_in_use`).
    public static func attachmentFacts(unitId: UnifiedSocialCreditCode, ids: [UUID], on connection: PostgresConnection)
        throws -> [UUID: ProfileAttachmentFacts]
    {
        guard !ids.isEmpty else { return [:] }
        let rows = try connection.execute(
            prepared: "unit_profile_attachment_facts",
            """
            SELECT id, kind, status FROM attachments WHERE unit_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL
            FOR SHARE
            """,
            [unitId.rawValue, ids])
        var facts: [UUID: ProfileAttachmentFacts] = [:]
        for row in rows.rows {
            guard let kind = try row.optional("kind", as: AttachmentKind.self),
                let status = try row.optional("status", as: ProfileAttachmentFacts.Status.self)
            else { continue }
            facts[try row.requiredUUID("id")] = ProfileAttachmentFacts(kind: kind, status: status)
        }
        return facts
    }

    /// Makes `profile` the unit's current profile (complete; its name the profile's), records
    /// `changes` as done by `actor` in job `jobId`, and removes the draft steps `submitted` names at
    /// the revisions submitted (a step saved again since stays in the draft). A `submission` (the
    /// guided steps, not a handler maintenance) also files the unit's registration changes
    /// (`profile_submitted_at`).
    public static func apply(
        _ profile: UnitProfile, changes: [ProfileFieldChange], submitted: [ProfileStep: Int],
        unitId: UnifiedSocialCreditCode, jobId: UUID, actor: String, submission: Bool, on connection: PostgresConnection
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(profile), as: UTF8.self)
        try connection.execute(
            prepared: "unit_profile_apply",
            """
            UPDATE units SET profile = $2::jsonb, profile_status = 'complete',
                profile_completed_at = COALESCE(profile_completed_at, now()), profile_updated_at = now(),
                profile_submitted_at = CASE WHEN $4 THEN now() ELSE profile_submitted_at END,
                name = COALESCE($3, name)
            WHERE id = $1
            """, [unitId.rawValue, json, profile.generalInformation?.name, submission])
        if !changes.isEmpty {
            func text(_ value: JSONValue?) throws -> String? {
                try value.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
            }
            try connection.execute(
                prepared: "unit_profile_changes_insert",
                """
                INSERT INTO unit_profile_changes (unit_id, job_id, actor, step, field, before, after)
                SELECT $1, $2, $3, * FROM unnest($4::text[], $5::text[], $6::jsonb[], $7::jsonb[])
                """,
                [
                    unitId.rawValue.postgresValue, jobId.postgresValue, actor.postgresValue,
                    changes.map(\.step.rawValue).postgresValue, changes.map(\.field).postgresValue,
                    try changes.map { try text($0.before) }.postgresValue,
                    try changes.map { try text($0.after) }.postgresValue,
                ])
        }
        if !submitted.isEmpty {
            try connection.execute(
                prepared: "unit_profile_draft_clear",
                """
                DELETE FROM unit_profile_drafts d USING unnest($2::text[], $3::int[]) AS s(step, revision)
                WHERE d.unit_id = $1 AND d.step = s.step AND d.revision = s.revision
                """,
                [
                    unitId.rawValue.postgresValue, submitted.map(\.key.rawValue).postgresValue,
                    submitted.map(\.value).postgresValue,
                ])
        }
    }

    /// Whether the unit's association code is usable: its profile is complete.
    public static func isComplete(unitId: UnifiedSocialCreditCode, on connection: PostgresConnection) throws -> Bool {
        try connection.execute(
            prepared: "unit_profile_complete",
            "SELECT profile_status = 'complete' AS complete FROM units WHERE id = $1", [unitId.rawValue]
        ).first?.bool("complete") ?? false
    }
}
