-- Notices (通知信息展示, manual §3; PRODUCT.md §2 notice fan-out, §3).

-- Jobs of the platform's own (a notice's fan-out or withdrawal, submitted by an upstream service)
-- act for no unit; the service that submitted them reads them (jobs.submitted_by).
ALTER TABLE jobs ALTER COLUMN unit_id DROP NOT NULL;

-- The audience dimensions of a unit, from its current profile (NULL until the profile names them).
ALTER TABLE units ADD COLUMN unit_type text
    GENERATED ALWAYS AS (profile #>> '{generalInformation,unitType}') STORED;
ALTER TABLE units ADD COLUMN district text
    GENERATED ALWAYS AS (profile #>> '{generalInformation,registeredDistrict}') STORED;

-- A policy or regulation notice (政策法规通知). Its audience is every unit (both arrays NULL) or the
-- units whose type and district are listed (a NULL array: any). The fan-out job writes one inbox row
-- per unit of the audience, in chunks over the unit-id range; each chunk's transaction advances
-- `fanout_cursor` (the last unit id covered) and `recipients` with its rows, so a redelivered job
-- resumes after the last committed chunk and neither duplicates nor loses a row.
-- The notice is created by its publication job (`public_id` = that job's id, the id services and
-- portals see; `id` is the compact key of the inbox rows).
CREATE TABLE notices (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id            uuid NOT NULL UNIQUE,
    title                text NOT NULL,
    summary              text NOT NULL,
    document_url         text NOT NULL,
    published_at         timestamptz NOT NULL,
    audience_unit_types  text[],
    audience_districts   text[],
    created_by           text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    fanout_cursor        text NOT NULL DEFAULT '',
    fanout_chunks        integer NOT NULL DEFAULT 0,
    recipients           bigint NOT NULL DEFAULT 0,
    fanout_completed_at  timestamptz,
    withdrawn_at         timestamptz,
    withdrawn_by         text
);

-- A unit's inbox: one row per notice addressed to it, with its read mark. No foreign keys: a fan-out
-- writes up to millions of rows, and per-row key checks would double its time; notices are never
-- deleted (a withdrawal only hides them) and neither are units.
CREATE TABLE notice_inbox (
    unit_id    text NOT NULL,
    notice_id  bigint NOT NULL,
    read_at    timestamptz,
    PRIMARY KEY (unit_id, notice_id)
);

-- Read marks of system prompts (系统提示), which are derived from the unit's state when read and never
-- stored themselves; `prompt_id` names the prompt's cause (TalentCore.SystemPrompt.id).
CREATE TABLE system_prompt_reads (
    unit_id    text NOT NULL REFERENCES units (id),
    prompt_id  text NOT NULL,
    read_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, prompt_id)
);

-- A unit created after a notice to every unit was published gets it too. The lock closes the race
-- with a publication: a notice's transaction takes this advisory lock exclusively, a unit's creation
-- shares it, so either the creation commits before the notice (and the fan-out, which starts after
-- the notice's commit, sees the unit) or the creation's query below runs after the notice's commit
-- (and sees the notice). Key 7_301_001: the notice-publication lock (TalentStore.NoticeStore).
CREATE FUNCTION notices_for_new_units() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(7301001);
    INSERT INTO notice_inbox (unit_id, notice_id)
    SELECT u.id, n.id FROM new_units u
    CROSS JOIN notices n
    WHERE n.audience_unit_types IS NULL AND n.audience_districts IS NULL AND n.withdrawn_at IS NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER units_receive_notices AFTER INSERT ON units
    REFERENCING NEW TABLE AS new_units FOR EACH STATEMENT EXECUTE FUNCTION notices_for_new_units();
