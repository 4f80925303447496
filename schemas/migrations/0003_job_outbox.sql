-- The job row is the outbox: it keeps the message body it was published with, so a relay can
-- publish any kind of job again from the row alone (never confirmed, or lost from the broker, e.g. a
-- queue deleted by an operator). `republished` counts relay publications after the first one.
ALTER TABLE jobs ADD COLUMN message bytea;
ALTER TABLE jobs ADD COLUMN schema_version integer;
ALTER TABLE jobs ADD COLUMN republished integer NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN last_published_at timestamptz;
CREATE INDEX jobs_queued_published ON jobs (published_at) WHERE status = 'queued' AND published_at IS NOT NULL;
