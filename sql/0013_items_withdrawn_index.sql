-- 0013: the items index of 0008 (postmortem_id, status, norm_hash) was paid
-- on every item a first import inserts, though only a withdrawn item is
-- ever looked up by its text (import's find_withdrawn). A partial index
-- holds just the withdrawn rows: an import of new documents (open and done
-- items only) no longer writes it (a sixth less SQLite work per item on
-- the bench corpus). The live items of a post-mortem are read through
-- UNIQUE (postmortem_id, seq), which skips its withdrawn rows without
-- loading them.
DROP INDEX IF EXISTS items_live;
CREATE INDEX IF NOT EXISTS items_withdrawn ON items (postmortem_id, norm_hash) WHERE status = 'withdrawn';
