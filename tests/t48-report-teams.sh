#!/bin/sh
# Teams end to end: a post-mortem's team from a [teams] rule (its source
# directory), its front matter and a Team: line; two [report "NAME"]
# audiences plus the all-teams [report], delivered by `run` through a real
# SMTP server (aiosmtpd). The messages are parsed back with Python's email
# package: who got which items; a second run sends nothing; a recipient of
# one audience deferred with 451 gets that audience's report alone on a
# later run; per-team numbers in every format; report --name / --team;
# [slo] deadlines in a mailed team report and its CSV attachment.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/mail-lib.sh"
ok() { echo "ok: $*"; }
export CLOSELOOP_NOW=2024-03-20T10:00:00Z
DB="$T/c.db"
smtpd_start "$T/srv" --defer-domain later.example
mkdir -p "$T/pm/payments" "$T/pm/search"
cat > "$T/pm/payments/2024-03-01-checkout.md" <<'EOF'
# Checkout errors after the pool change

Date: 2024-03-01

## Action items

| Action | Owner | Due |
|---|---|---|
| Alert on connection pool saturation | alice | 2024-03-08 |
| Load test the checkout path | alice | 2024-03-12 |
| Document the pool limits | dan | 2024-04-30 |
EOF
cat > "$T/pm/search/2024-03-04-index.md" <<'EOF'
---
title: Index lag during the reindex
team: Search
---
Date: 2024-03-04

## Action items

- [ ] Shard the product index (@bob, due 2024-03-11)
- [x] Page on index lag above 5 minutes (@bob, due 2024-03-09)
EOF
cat > "$T/pm/2024-03-05-relay.md" <<'EOF'
# Mail relay delay

Date: 2024-03-05
Team: Messaging

## Action items

- [ ] Retry the relay on 4xx (@carol, due 2024-03-15)
EOF
cat > "$T/conf" <<CONF
[closeloop]
timezone = UTC
sources = $T/pm
[teams]
payments = payments/*
[mail]
host = 127.0.0.1
port = $PORT
tls = none
from = closeloop <closeloop@example.com>
timeout_s = 5
connect_timeout_s = 2
[report]
to = meeting@example.com
[report "payments"]
team = payments
to = pay-lead@example.com, pay-ops@later.example
[report "search"]
team = search
to = search-lead@example.com
weekday = tuesday
hour = 8
CONF
C="$CL -c $T/conf -d $DB"
expect_rc 0 $C init
$C import > "$T/out" 2>&1      # lint problems (written late) do not matter here

[ "$(sqlite3 "$DB" "SELECT group_concat(team, ' ') FROM (SELECT team FROM postmortems ORDER BY source)")" = \
  "messaging payments search" ] || fail "teams: $(sqlite3 "$DB" 'SELECT source, team FROM postmortems')"
ok "team from a [teams] rule, front matter and a Team: line"
# a re-import with no file changed still follows a changed [teams] (the
# import sets teams only when [teams] or a post-mortem row changed)
teams() { sqlite3 "$DB" "SELECT group_concat(team, ' ') FROM (SELECT team FROM postmortems ORDER BY source)"; }
sed 's|^payments = payments/\*$|billing = payments/*|' "$T/conf" > "$T/conf-billing"
touch -d '1 hour ago' "$T"/pm/*.md "$T"/pm/*/*.md 2>/dev/null || true
$C import > /dev/null 2>&1      # records the new times: the next run writes no row
$CL -c "$T/conf-billing" -d "$DB" import > /dev/null 2>&1
[ "$(teams)" = "messaging billing search" ] || fail "changed [teams] not applied: $(teams)"
$CL -c "$T/conf-billing" -d "$DB" import > /dev/null 2>&1
[ "$(teams)" = "messaging billing search" ] || fail "unchanged re-import changed teams: $(teams)"
sed -i 's/^Team: Messaging$/Team: Mail/' "$T/pm/2024-03-05-relay.md"
$CL -c "$T/conf-billing" -d "$DB" import > /dev/null 2>&1
[ "$(teams)" = "mail billing search" ] || fail "a changed Team: line not applied: $(teams)"
sed -i 's/^Team: Mail$/Team: Messaging/' "$T/pm/2024-03-05-relay.md"
$C import > /dev/null 2>&1
[ "$(teams)" = "messaging payments search" ] || fail "teams not back: $(teams)"
ok "a changed [teams] applies on an unchanged re-import"

# the command line: one audience, one team, an unknown name
expect_rc 0 $C report --name payments
expect_in "$T/out" "closeloop weekly report 2024-W12, team payments"
expect_in "$T/out" "Alert on connection pool saturation"
expect_not_in "$T/out" "Shard the product index"
expect_not_in "$T/out" "Retry the relay"
expect_rc 0 $C report --team search --format json
$PY - "$T/out" <<'PY' || fail "report --team search --format json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["team"] == "search" and d["counts"]["open"] == 1, (d["team"], d["counts"])
ids = [i["id"] for g in d["overdue"] for i in g["items"]]
assert ids == ["search-2024-03-04-index.1"], ids
assert "teams" not in d, "a team's report has no per-team table"
PY
expect_rc 64 $C report --name nope
expect_in "$T/err" "no report named 'nope'"
expect_rc 64 $C report --team search --send
ok "report --name and --team"

# per-team numbers in every format, the all-teams report by team first
expect_rc 0 $C report --format json
$PY - "$T/out" <<'PY' || fail "all-teams json"
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["team"]: x for x in d["teams"]}
for k in ("teams_closing", "teams_overdue_by_age"):
    assert [x["team"] for x in d[k]] == [x["team"] for x in d["teams"]], k
    for x in d[k]:
        t[x["team"]].update(x)
assert sorted(t) == ["messaging", "payments", "search"], t
p = t["payments"]
assert (p["open"], p["overdue"], p["overdue_8_30_days"], p["overdue_0_7_days"]) == (3, 2, 2, 0), p
assert p["top_owners"] == "alice 2" and p["trend"] == "0 → 3", p
s = t["search"]
assert (s["open"], s["overdue"], s["closed"], s["closed_within_deadline_pct"]) == (1, 1, 1, 100), s
# done when first imported: closed on its post-mortem's date, 0 days
assert s["median_days_to_close"] == 0.0, s
assert [g["team"] for g in d["overdue"]] == ["messaging", "payments", "search"], d["overdue"]
assert [i["owner"] for i in d["overdue"][1]["items"]] == ["alice", "alice"], d["overdue"][1]
PY
for f in text markdown html csv; do
    expect_rc 0 $C report --format $f
    expect_in "$T/out" "payments"
    expect_in "$T/out" "messaging"
done
expect_rc 0 $C report --format text
expect_in "$T/out" "By team"
expect_in "$T/out" "payments:    3 open    2 overdue"
expect_in "$T/out" "Overdue, by team and owner"
ok "per-team numbers in every format"

# run: every due report, each to its audience
# pay-ops@later.example is deferred (451): exit 75, the others have theirs
expect_rc 75 $C -v run
expect_in "$T/err" "pay-ops@later.example: 451"
[ "$(ls "$T/srv"/*.eml | wc -l)" -eq 3 ] || fail "first run: $(ls "$T/srv") (want 3 messages)"
$PY - "$T/srv" <<'PY' || fail "who got which items"
import email, email.policy, glob, json, os, sys
got = {}
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
    env = json.load(open(f[:-4] + ".json"))
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    text = m.get_body(("plain",)).get_content()
    for r in env["rcpt_tos"]:
        assert r not in got, "%s got two messages" % r
        got[r] = (str(m["Subject"]), text, [a.get_filename() for a in m.iter_attachments()])
assert sorted(got) == ["meeting@example.com", "pay-lead@example.com",
                       "search-lead@example.com"], sorted(got)
subj, text, att = got["meeting@example.com"]
assert subj == "Post-mortem action items, week 2024-W12: 5 open, 4 overdue", subj
for a in ("Alert on connection pool saturation", "Shard the product index", "Retry the relay"):
    assert a in text, a
assert text.index("By team") < text.index("Overdue, by team and owner"), "teams first"
assert att == ["closeloop-2024-W12.csv"], att
subj, text, att = got["pay-lead@example.com"]
assert subj == "Post-mortem action items, payments, week 2024-W12: 3 open, 2 overdue", subj
assert "Alert on connection pool saturation" in text and "Load test the checkout path" in text
assert "Shard the product index" not in text and "Retry the relay" not in text, text
assert att == ["closeloop-payments-2024-W12.csv"], att
subj, text, att = got["search-lead@example.com"]
assert "search" in subj and "Shard the product index" in text, (subj, text)
assert "Alert on connection pool saturation" not in text and "Retry the relay" not in text
PY
[ "$(sqlite3 "$DB" "SELECT group_concat(kind || ' ' || recipient || ' ' || status, '; ') FROM (SELECT * FROM mail_log ORDER BY kind, recipient)")" = \
  "report meeting@example.com sent; report:payments pay-lead@example.com sent; report:payments pay-ops@later.example deferred; report:search search-lead@example.com sent" ] ||
    fail "mail log: $(sqlite3 "$DB" 'SELECT kind, recipient, status FROM mail_log')"
ok "run sends every audience its own report, with its own mail log"

# a second run: the deferred recipient is tried again (deferred again), no
# message goes out
export CLOSELOOP_NOW=2024-03-20T11:00:00Z
expect_rc 75 $C run
[ "$(ls "$T/srv"/*.eml | wc -l)" -eq 3 ] || fail "second run sent a message"
# once the domain takes mail: only pay-ops, only the payments report
rm -f "$T/srv/defer"
export CLOSELOOP_NOW=2024-03-20T12:00:00Z
expect_rc 0 $C run
[ "$(ls "$T/srv"/*.eml | wc -l)" -eq 4 ] || fail "deferred recipient not retried"
$PY - "$T/srv/004" <<'PY' || fail "retried alone"
import email, email.policy, json, sys
env = json.load(open(sys.argv[1] + ".json"))
assert env["rcpt_tos"] == ["pay-ops@later.example"], env
m = email.message_from_bytes(open(sys.argv[1] + ".eml", "rb").read(), policy=email.policy.default)
assert str(m["Subject"]).startswith("Post-mortem action items, payments, week 2024-W12"), m["Subject"]
text = m.get_body(("plain",)).get_content()
assert "Load test the checkout path" in text and "Shard the product index" not in text
PY
export CLOSELOOP_NOW=2024-03-20T13:00:00Z
expect_rc 0 $C run
[ "$(ls "$T/srv"/*.eml | wc -l)" -eq 4 ] || fail "a run after everyone got it sent again"
ok "a second run sends nothing; a 451 recipient of one audience is retried alone"

# status names each audience's next report
expect_rc 0 $C status --json
$PY - "$T/out" <<'PY' || fail "status --json reports"
import json, sys
d = json.load(open(sys.argv[1]))
r = {x["name"]: x for x in d["next"]["reports"]}
assert sorted(r) == ["", "payments", "search"], r
assert r["search"]["at"] == "2024-03-26T08:00:00Z", r["search"]
assert r["payments"]["at"] == "2024-03-25T09:00:00Z", r["payments"]
PY
ok "status: each audience's next report"

# deadlines by severity, end to end through the SMTP server: a team's P1
# post-mortem with [slo] P1 = 15; the mailed report shows the derived due
# date as derived, and the CSV attachment carries it
mkdir -p "$T/slo/payments"
printf '# P1 outage\n\nDate: 2024-03-01\nSeverity: P1\n\n## Action items\n\n- [x] Fix the retry storm (@ana, due 2024-03-30)\n- [ ] Cap the queue (@ana)\n' > "$T/slo/payments/p1.md"
sed -e "s|^sources = .*|sources = $T/slo|" "$T/conf" > "$T/conf.slo"
printf '[slo]\nP1 = 15\n' >> "$T/conf.slo"
mkdir -p "$T/srv2"
smtpd_stop
smtpd_start "$T/srv2"
sed -i "s/^port = .*/port = $PORT/" "$T/conf.slo"
CS="$CL -c $T/conf.slo -d $T/slo.db"
expect_rc 0 $CS init
$CS import > "$T/out" 2>&1
expect_in "$T/out" "due-beyond-slo: 'Fix the retry storm' is due 2024-03-30, after its P1 deadline 2024-03-16"
expect_rc 0 $CS report --name payments --send
$PY - "$T/srv2" <<'PY' || fail "slo through smtp"
import csv, email, email.policy, glob, io, os, sys
fs = sorted(glob.glob(os.path.join(sys.argv[1], "*.eml")))
assert len(fs) == 1, fs
m = email.message_from_bytes(open(fs[0], "rb").read(), policy=email.policy.default)
text = m.get_body(("plain",)).get_content()
assert "Cap the queue" in text and "2024-03-16  SLO P1" in text, text
assert "closed with an [slo] deadline 1, closed within their [slo] deadline 1" in text, text
att = [a for a in m.iter_attachments() if a.get_filename().endswith(".csv")]
rows = list(csv.reader(io.StringIO(att[0].get_content())))
head = rows[0]
cap = [r for r in rows[1:] if "Cap the queue" in r]
assert cap and cap[0][head.index("due")] == "2024-03-16", (head, cap)
PY
ok "[slo] deadlines in a team's mailed report and its CSV"
