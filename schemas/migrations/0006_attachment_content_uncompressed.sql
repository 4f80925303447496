-- Attachment bytes are PDF, JPEG or PNG: already compressed. PostgreSQL's default (EXTENDED) tries
-- pglz on every value over 2 kB before storing it out of line, spending CPU on each upload for no
-- gain (pg_stat_statements: the attachment INSERT was the costliest statement of the corpus
-- benchmark, 2.45 ms mean). EXTERNAL stores them out of line without trying. Rows already stored
-- keep their form; new ones are written uncompressed.
ALTER TABLE attachments ALTER COLUMN content SET STORAGE EXTERNAL;
