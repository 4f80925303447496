-- Unit profile completion and unit information (manual §2, §6; PRODUCT.md §3).

-- The current profile: what the last accepted profile submission made of it (JSON of the four steps,
-- TalentCore.UnitProfile). Until the first accepted submission the profile is incomplete, and the
-- unit's association code is not usable by employees (association requests are refused with
-- unit_profile_incomplete). Units that existed before profiles start incomplete too.
ALTER TABLE units ADD COLUMN profile_status text NOT NULL DEFAULT 'incomplete'
    CHECK (profile_status IN ('incomplete', 'complete'));
ALTER TABLE units ADD COLUMN profile jsonb;
ALTER TABLE units ADD COLUMN profile_completed_at timestamptz;
ALTER TABLE units ADD COLUMN profile_updated_at timestamptz;

-- Saved steps of the profile being completed or modified (one row per step). The gateway stores a
-- step once it passes its own checks (it is input, like an attachment's bytes); a submission job
-- carries the steps it submits and their revisions, and removes exactly those once applied (a step
-- saved again meanwhile stays).
CREATE TABLE unit_profile_drafts (
    unit_id   text NOT NULL REFERENCES units (id),
    step      text NOT NULL CHECK (step IN ('general_information', 'qualifications', 'business_handler', 'attachments')),
    content   jsonb NOT NULL,
    revision  integer NOT NULL DEFAULT 1,
    saved_by  text NOT NULL,
    saved_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, step)
);

-- The history of the current profile: one row per changed field of each accepted submission or
-- handler maintenance (who, when, before → after). `job_id` is the job whose effect it is, written
-- in the same transaction as the change.
CREATE TABLE unit_profile_changes (
    id        bigserial PRIMARY KEY,
    unit_id   text NOT NULL REFERENCES units (id),
    job_id    uuid NOT NULL REFERENCES jobs (id),
    actor     text NOT NULL,
    step      text NOT NULL,
    field     text NOT NULL,
    before    jsonb,
    after     jsonb,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unit_profile_changes_by_unit ON unit_profile_changes (unit_id, id DESC);
