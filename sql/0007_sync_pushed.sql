-- 0006: what closeloop last pushed of the fields a tracker may drop or
-- rewrite (an assignee GitLab cannot assign, a due date), in the form the
-- document gives them: a field is pushed again only when the document
-- changed it since. '' = pushed as empty; NULL = not known yet (rows from
-- before this migration: the next push records it).
ALTER TABLE sync_items ADD COLUMN pushed_assignee TEXT;
ALTER TABLE sync_items ADD COLUMN pushed_due TEXT;
