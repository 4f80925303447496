-- Gateway idempotency: a retried request with the same Idempotency-Key returns the first response
-- and never creates a second job. The key is scoped to the unit.
CREATE TABLE idempotency_keys (
    unit_id        text NOT NULL REFERENCES units (id),
    key            text NOT NULL,
    -- SHA-256 over what identifies the request (kind, file name, body digest): a key reused for
    -- another request is refused.
    request_hash   text NOT NULL,
    attachment_id  uuid,
    job_id         uuid,
    -- The first response (status and body), stored once the broker confirmed the job.
    response_status integer,
    response_body   text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
