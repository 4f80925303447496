-- Draft revisions never repeat: a submission removes exactly the draft steps at the revisions it
-- carries, so a revision must not come back after the row was removed and saved again (with
-- `DEFAULT 1` a second, older submission job could remove the newer draft). One sequence for every
-- unit's drafts: a revision is larger on each save and never reused.
CREATE SEQUENCE unit_profile_draft_revisions AS bigint;
SELECT setval('unit_profile_draft_revisions', COALESCE((SELECT max(revision) FROM unit_profile_drafts), 0) + 1, false);
ALTER TABLE unit_profile_drafts ALTER COLUMN revision TYPE bigint;
ALTER TABLE unit_profile_drafts ALTER COLUMN revision SET DEFAULT nextval('unit_profile_draft_revisions');
