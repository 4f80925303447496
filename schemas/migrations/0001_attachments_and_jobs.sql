-- Units, their attachments, jobs and the idempotency record of attachment verdicts.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- A unit (单位), keyed by its unified social credit code (GB 32100-2015).
CREATE TABLE units (
    id          text PRIMARY KEY CHECK (id ~ '^[0-9A-HJ-NP-RT-UW-Y]{18}$'),
    name        text,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);

-- A unit's common electronic attachment (单位常用电子附件). The bytes stay here until deleted.
CREATE TABLE attachments (
    id             uuid PRIMARY KEY,
    unit_id        text NOT NULL REFERENCES units (id),
    kind           text NOT NULL,
    file_name      text NOT NULL,
    byte_count     integer NOT NULL CHECK (byte_count >= 0),
    sha256         text NOT NULL,
    content        bytea,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    reason         text,
    detail         text,
    warnings       jsonb NOT NULL DEFAULT '[]',
    detected_type  text,
    width          integer,
    height         integer,
    uploaded_at    timestamptz NOT NULL DEFAULT now(),
    validated_at   timestamptz,
    deleted_at     timestamptz
);
CREATE INDEX attachments_by_unit ON attachments (unit_id, uploaded_at DESC, id) WHERE deleted_at IS NULL;
CREATE INDEX attachments_file_name_trgm ON attachments USING gin (file_name gin_trgm_ops);

-- Every job the gateway accepted. `published_at` is set once the broker confirmed the message; a
-- relay republishes rows left unpublished (gateway killed between commit and confirm).
CREATE TABLE jobs (
    id            uuid PRIMARY KEY,
    kind          text NOT NULL,
    unit_id       text NOT NULL REFERENCES units (id),
    subject_id    uuid,
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'succeeded', 'failed', 'dead_lettered')),
    error_code    text,
    error_detail  text,
    deliveries    integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    finished_at   timestamptz
);
CREATE INDEX jobs_unpublished ON jobs (created_at) WHERE published_at IS NULL AND status = 'queued';
CREATE INDEX jobs_by_unit ON jobs (unit_id, created_at DESC);

-- The effect log of attachment validation: one row per applied verdict. Its primary key is the job's
-- idempotency record, written in the same transaction as the verdict.
CREATE TABLE attachment_verdicts (
    job_id         uuid PRIMARY KEY REFERENCES jobs (id),
    attachment_id  uuid NOT NULL REFERENCES attachments (id),
    outcome        text NOT NULL,
    reason         text,
    decided_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachment_verdicts_by_attachment ON attachment_verdicts (attachment_id);
