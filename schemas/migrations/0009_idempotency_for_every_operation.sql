-- Idempotency-Key on every state-changing operation, for every caller: a key is scoped to the caller
-- (`unit:<code>` or `service:<name>`), names the operation's subject (attachment, association) and
-- the job it accepted, and keeps the first answer (status, body, Location) for its retries.
ALTER TABLE idempotency_keys ADD COLUMN caller text;
UPDATE idempotency_keys SET caller = 'unit:' || unit_id;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ALTER COLUMN caller SET NOT NULL, ALTER COLUMN unit_id DROP NOT NULL;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (caller, key);
ALTER TABLE idempotency_keys RENAME COLUMN attachment_id TO subject_id;
ALTER TABLE idempotency_keys ADD COLUMN response_location text;
CREATE INDEX idempotency_keys_job ON idempotency_keys (job_id) WHERE response_status IS NULL;
