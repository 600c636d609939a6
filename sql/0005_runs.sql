-- 0005: every `closeloop run`, for `closeloop status` and monitoring.
CREATE TABLE IF NOT EXISTS runs (
    id         INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,            -- UTC RFC 3339
    ended_at   TEXT,                     -- NULL: still running, or killed
    dry_run    INTEGER NOT NULL DEFAULT 0,
    exit_code  INTEGER,
    outcome    TEXT,                     -- ok | problems | error name (cl_error_name)
    steps      TEXT                      -- JSON: [{step, ran, outcome, detail}]
);
