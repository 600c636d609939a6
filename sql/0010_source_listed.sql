-- 0010: which configured [source "NAME"] lists a post-mortem (a Confluence
-- page or a tracker issue; NULL for files and URLs), so that a complete
-- listing of that source can tell which of its documents vanished, as a
-- walk does for the files below a directory (lib/import.c mark_missing).
ALTER TABLE postmortems ADD COLUMN listed_by TEXT;
CREATE INDEX postmortems_listed_by ON postmortems (listed_by) WHERE listed_by IS NOT NULL;
