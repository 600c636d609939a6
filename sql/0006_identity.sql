-- 0006: a post-mortem's identity is its file (real path) or URL, not the
-- path it was imported through; vanished and forgotten post-mortems; a
-- bounded look-up of items by text on re-import.
-- (issue 13 §1, issue 16 medium 3 and the low on same-second changes)
ALTER TABLE postmortems ADD COLUMN canon TEXT;          -- real path of the file, or the URL
ALTER TABLE postmortems ADD COLUMN file_ctime INTEGER;  -- status change time, nanoseconds
ALTER TABLE postmortems ADD COLUMN missing_since TEXT;  -- UTC: first import its root no longer had it
ALTER TABLE postmortems ADD COLUMN retired_at TEXT;     -- its open items were withdrawn (vanished for good, or forgotten)
ALTER TABLE postmortems ADD COLUMN forgotten_at TEXT;   -- closeloop forget: never imported again
CREATE UNIQUE INDEX postmortems_canon ON postmortems (canon);
CREATE INDEX postmortems_hash ON postmortems (content_hash);
CREATE INDEX postmortems_title ON postmortems (title, incident_date);

ALTER TABLE items ADD COLUMN norm_hash INTEGER;         -- cl_text_hash(norm)
UPDATE items SET norm_hash = cl_text_hash(norm);
CREATE INDEX items_norm ON items (postmortem_id, norm_hash);
CREATE INDEX items_live ON items (postmortem_id, status);
