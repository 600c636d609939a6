-- 0008: fewer indexes for 0006 (each one is paid on every insert of a
-- first import): one items index serves both the live items of a
-- post-mortem (postmortem_id, status) and a withdrawn item looked up by
-- its text (…, norm_hash); moved documents are found among the few
-- post-mortems whose file is gone, in memory, without the hash and title
-- indexes.
DROP INDEX items_norm;
DROP INDEX items_live;
DROP INDEX postmortems_hash;
DROP INDEX postmortems_title;
CREATE INDEX items_live ON items (postmortem_id, status, norm_hash);
