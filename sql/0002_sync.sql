-- 0002: tracker sync state (lib/sync.c). One row per item that sync has
-- seen; the link itself is mirrored into items.ticket / items.url.
CREATE TABLE sync_items (
    item_id         INTEGER PRIMARY KEY REFERENCES items(id),
    tracker         TEXT NOT NULL,       -- "kind url project" the row belongs to
    ticket          TEXT,                -- tracker id once linked
    origin          TEXT CHECK (origin IN ('created', 'adopted', 'document')),
    intent_at       TEXT,                -- a create was started (UTC); NULL once linked
    synced_title    TEXT,                -- values as last written to / read from the tracker
    synced_body     TEXT,                -- sha256 of the body closeloop last wrote
    synced_state    TEXT CHECK (synced_state IN ('open', 'closed')),
    synced_assignee TEXT,
    synced_due      TEXT,
    synced_at       TEXT,
    gone            INTEGER NOT NULL DEFAULT 0,  -- 404/410/301 when the ticket vanished
    error           TEXT,                -- the item's last sync problem, NULL when fine
    error_at        TEXT
);
CREATE INDEX sync_items_ticket ON sync_items (tracker, ticket);

CREATE TABLE sync_trackers (
    tracker       TEXT PRIMARY KEY,      -- "kind url project"
    since         TEXT,                  -- tracker's updated-at of the newest change pulled
    etag          TEXT,                  -- validator of the first page for that since
    last_sync     TEXT,                  -- UTC of the last complete sync
    last_requests INTEGER                -- HTTP requests it took
);
