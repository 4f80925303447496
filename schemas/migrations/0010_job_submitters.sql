-- Who submitted a job when it was not the unit itself: `service:<name>` for a job an upstream service
-- (the personal-edition portal) submitted; such a service reads its own jobs and no others.
ALTER TABLE jobs ADD COLUMN submitted_by text;
