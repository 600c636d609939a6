-- 0003: the mail log: every message closeloop tried to send, one row per
-- recipient. A message counts as sent only with status 'sent' (the server
-- accepted it); 'rejected' is a permanent refusal (5xx) of that recipient,
-- 'deferred' a temporary one or a server that could not be reached.
CREATE TABLE mail_log (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,              -- report | nag | escalation | invite …
    recipient   TEXT NOT NULL,              -- envelope address, lower case
    key         TEXT NOT NULL DEFAULT '',   -- ISO week (report), owner (nag) …
    message_id  TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('sent', 'rejected', 'deferred')),
    code        INTEGER,                    -- SMTP reply code
    detail      TEXT,                       -- server text or outbox file
    at          TEXT NOT NULL               -- UTC RFC 3339
);
CREATE INDEX mail_log_kind_key ON mail_log (kind, key, status);
CREATE INDEX mail_log_recipient ON mail_log (recipient, kind, status, at);
