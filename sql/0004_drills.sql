-- 0004: DR drills (post-mortem re-runs and periodic runbook drills) and the
-- people invited to them. sequence is the SEQUENCE of the last calendar sent.
CREATE TABLE IF NOT EXISTS drills (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,   -- public id, never reused
    uid           TEXT NOT NULL UNIQUE,                -- iCalendar UID, stable
    postmortem_id INTEGER NOT NULL REFERENCES postmortems(id),
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    start_utc     TEXT NOT NULL,                       -- RFC 3339 UTC
    timezone      TEXT NOT NULL,                       -- IANA name
    duration      INTEGER NOT NULL CHECK (duration > 0),  -- minutes
    rrule         TEXT,                                -- NULL: one-off
    organizer     TEXT NOT NULL,
    sequence      INTEGER NOT NULL DEFAULT 0 CHECK (sequence >= 0),
    state         TEXT NOT NULL DEFAULT 'scheduled'
                  CHECK (state IN ('scheduled', 'cancelled', 'done-pass', 'done-fail')),
    origin        TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'proposal')),
    rto           INTEGER,                             -- measured RTO, minutes
    notes         TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    sent_at       TEXT,                                -- last calendar accepted by the server
    done_at       TEXT,
    reported_at   TEXT                                 -- a failure shown in a weekly report
);
CREATE INDEX IF NOT EXISTS drills_postmortem ON drills (postmortem_id, state);

CREATE TABLE IF NOT EXISTS drill_attendees (
    drill_id INTEGER NOT NULL REFERENCES drills(id) ON DELETE CASCADE,
    pos      INTEGER NOT NULL,
    handle   TEXT,                                     -- [people] handle or NULL
    name     TEXT,
    email    TEXT NOT NULL,
    PRIMARY KEY (drill_id, pos)
);

-- part of every drill's UID, so that two databases never share one
INSERT OR IGNORE INTO meta (key, value) VALUES ('drill_uid_salt', lower(hex(randomblob(6))));
