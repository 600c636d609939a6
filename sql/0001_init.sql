-- 0001: post-mortems, their action items and every change to them.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);

CREATE TABLE postmortems (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,      -- public id (letters, digits, - _ .)
    source        TEXT NOT NULL UNIQUE,      -- path relative to the source root, or URL
    path          TEXT,                      -- where it was last read from
    kind          TEXT NOT NULL DEFAULT 'postmortem'
                  CHECK (kind IN ('postmortem', 'runbook')),
    title         TEXT,
    incident_date TEXT,                      -- YYYY-MM-DD
    written_date  TEXT,                      -- YYYY-MM-DD, when the document says
    severity      TEXT,
    authors       TEXT,                      -- comma separated handles
    first_seen    TEXT NOT NULL,             -- UTC RFC 3339
    last_seen     TEXT NOT NULL,
    file_size     INTEGER,
    file_mtime    INTEGER,
    content_hash  TEXT,
    problems      TEXT NOT NULL DEFAULT '',  -- document-level lint codes, space separated
    verified_at   TEXT,                      -- set when its drill re-run passed
    rb_owner      TEXT,                      -- runbooks: **Owner:**
    rb_last_tested TEXT,                     -- runbooks: **Last tested:** date
    rb_rto_target TEXT,
    rb_actual_rto INTEGER
);

CREATE TABLE items (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,      -- public id: <postmortem slug>.<seq>
    postmortem_id INTEGER NOT NULL REFERENCES postmortems(id),
    seq           INTEGER NOT NULL,
    position      INTEGER NOT NULL,          -- ordinal among the document's items
    line          INTEGER NOT NULL DEFAULT 0,
    norm          TEXT NOT NULL,             -- normalised action text (identity)
    action        TEXT NOT NULL,
    owner         TEXT,
    owner_raw     TEXT,
    due           TEXT,                      -- YYYY-MM-DD or NULL
    due_raw       TEXT,
    priority      TEXT,
    doc_status    TEXT NOT NULL DEFAULT 'open' CHECK (doc_status IN ('open', 'done')),
    status        TEXT NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'done', 'withdrawn')),
    doc_ticket    TEXT,                      -- ticket named in the document
    ticket        TEXT,                      -- tracker key or number once linked
    url           TEXT,                      -- tracker web address once linked
    problems      TEXT NOT NULL DEFAULT '',  -- lint codes, space separated
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    closed_at     TEXT,
    UNIQUE (postmortem_id, seq)
);

CREATE TABLE history (
    id       INTEGER PRIMARY KEY,
    item_id  INTEGER NOT NULL REFERENCES items(id),
    at       TEXT NOT NULL,
    origin   TEXT NOT NULL CHECK (origin IN ('import', 'local', 'tracker', 'sync')),
    field    TEXT NOT NULL,                  -- created, action, owner, due, status, ticket …
    old      TEXT,
    new      TEXT
);
CREATE INDEX history_item ON history (item_id, id);
