-- The relay's partial indexes, keyed by kind first: the oldest queued job of one kind (the gauge
-- talent_jobs_oldest_queued_age_seconds, read at every scrape) and the relay's stale sweep (per kind,
-- oldest first) are one index step each, even behind a large backlog of another kind. The same number
-- of indexes as before: no extra write per job. The relay's pass over unpublished jobs of every kind
-- still reads only the unpublished ones (a handful, normally).
DROP INDEX IF EXISTS jobs_queued_published;
DROP INDEX IF EXISTS jobs_unpublished;
CREATE INDEX jobs_queued_published ON jobs (kind, published_at) WHERE status = 'queued' AND published_at IS NOT NULL;
CREATE INDEX jobs_unpublished ON jobs (kind, created_at) WHERE published_at IS NULL AND status = 'queued';
