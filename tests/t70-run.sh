#!/bin/sh
# closeloop run: steps in order, due logic across days and weeks with
# CLOSELOOP_NOW, catch-up of a missed week, the lock, partial failure, status.
. "$(dirname "$0")/helpers/sync-lib.sh"
start_fake
OUT="$T/outbox"
mkdir -p "$T/pm"
cat > "$T/pm/2024-03-11-cache.md" <<'MD'
# Post-Mortem: Cache stampede — 2024-03-11

Written: 2024-03-12
**Authors:** @alice

## Action items

| Action | Owner | Due | Status |
|--------|-------|-----|--------|
| Add request coalescing | @alice | 2024-03-15 | |
| Jitter the cache TTLs | @bob | 2024-03-22 | |
| Dashboard for hit ratio | @alice | 2024-03-14 | done |
MD
cat > "$T/pm/2024-03-01-closed.md" <<'MD'
# Post-Mortem: Queue stall — 2024-03-01

Written: 2024-03-02
**Authors:** @bob

## Action items

- [x] Pin the client library — @bob, due 2024-03-04
MD
write_config github "$FAKE" acme/ops "
[mail]
transport = file
outbox = $OUT
from = closeloop <closeloop@example.com>

[report]
to = eng-meeting@example.com
weekday = monday
hour = 9

[nag]
every_days = 7
due_soon_days = 3
escalate_after_days = 14

[drill]
organizer = sre-lead@example.com
after_close_days = 7
timezone = UTC"
sed -i "0,/^timezone = UTC$/s||timezone = UTC\nsources = $T/pm|" "$T/config"
count() { ls "$OUT" 2>/dev/null | wc -l; }
kinds() { cat "$OUT"/*.eml 2>/dev/null | grep -c "^Subject: .*$1" || true; }

# day 1: Wednesday of 2024-W12, after the report's Monday 09:00
export CLOSELOOP_NOW=2024-03-20T10:00:00Z
"$CL" init > "$T/init.out" 2>&1 || { cat "$T/init.out"; fail "init"; }
"$CL" run > "$T/run1.out" 2> "$T/run1.err" || { cat "$T/run1.err"; fail "first run exited $?"; }
[ -s "$T/run1.out" ] && { cat "$T/run1.out"; fail "run is not quiet on success"; }
n=$(stat 'd["issues"]'); [ "$n" = 2 ] || fail "tracker holds $n issues, want 2 open items pushed"
[ "$(ls "$OUT" | wc -l)" -ge 3 ] || { ls "$OUT"; fail "expected report, reminders and an invite"; }
grep -l "^Subject:.*2024-W12" "$OUT"/*.eml > /dev/null || fail "no W12 report in the outbox"
grep -l "text/calendar" "$OUT"/*.eml > /dev/null || fail "no drill invite for the closed post-mortem"
grep -l "^To:.*alice@example.com" "$OUT"/*.eml > /dev/null || fail "alice got no reminder"
first=$(count)
ok "first run: import, sync, drill, nag, report ($first messages)"

# the same day again: nothing is due, nothing is sent
"$CL" -v run > "$T/run2.out" 2>&1 || { cat "$T/run2.out"; fail "second run"; }
[ "$(count)" = "$first" ] || fail "second run sent mail again ($(count) != $first)"
grep -q "^report  skipped: not due" "$T/run2.out" || { cat "$T/run2.out"; fail "-v summary"; }
# the import line words its counts as `import -v` does (failed, not skipped)
grep -q "unchanged, 0 failed)" "$T/run2.out" || { cat "$T/run2.out"; fail "-v import wording"; }
ok "second run the same day sends nothing; -v prints a summary"

# dry run changes nothing anywhere
before=$(sqlite3 "$T/closeloop.db" "select count(*) from runs")
"$CL" run --dry-run > "$T/dry.out" 2>&1 || { cat "$T/dry.out"; fail "dry run"; }
[ "$(sqlite3 "$T/closeloop.db" "select count(*) from runs")" = "$before" ] || fail "dry run recorded a run"
ok "dry run"

# Monday of W13 before 09:00: W12 went out, W13 is not due yet
export CLOSELOOP_NOW=2024-03-25T08:00:00Z
"$CL" run 2>"$T/err" || { cat "$T/err"; fail "Monday 08:00 run"; }
grep -l "^Subject:.*2024-W13" "$OUT"/*.eml > /dev/null && fail "W13 report before its hour"
export CLOSELOOP_NOW=2024-03-25T09:30:00Z
"$CL" run 2>"$T/err" || { cat "$T/err"; fail "Monday 09:30 run"; }
grep -l "^Subject:.*2024-W13" "$OUT"/*.eml > /dev/null || fail "no W13 report after its hour"
ok "weekly report at its weekday/hour, once per ISO week"

# no run at all in W14 after Monday 09:00; Monday W15 before 09:00 catches W14 up once
export CLOSELOOP_NOW=2024-04-08T07:00:00Z
"$CL" run 2>"$T/err" || { cat "$T/err"; fail "catch-up run"; }
grep -l "^Subject:.*2024-W14" "$OUT"/*.eml > /dev/null || fail "missed W14 not caught up"
export CLOSELOOP_NOW=2024-04-08T08:00:00Z
c=$(count); "$CL" run 2>/dev/null; [ "$(count)" = "$c" ] || fail "caught up twice"
# two weeks without runs: one report (this week's), not one per missed week
export CLOSELOOP_NOW=2024-04-24T12:00:00Z
"$CL" run 2>/dev/null
grep -l "^Subject:.*2024-W16" "$OUT"/*.eml > /dev/null && fail "W16 sent after the fact"
grep -l "^Subject:.*2024-W17" "$OUT"/*.eml > /dev/null || fail "no W17 report"
ok "missed weeks caught up once"

# status
"$CL" status --json > "$T/status.json" || fail "status --json"
$PY - "$T/status.json" <<'PYEOF' || fail "status --json contract"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["items"]["open"] >= 1, s["items"]
assert s["sync"]["last_ok"] is not None, s["sync"]
assert s["next"]["report"]["at"] == "2024-04-29T09:00:00Z", s["next"]["report"]
assert len(s["runs"]) == 5 and s["runs"][0]["outcome"] == "ok", s["runs"][0]
steps = [x["step"] for x in s["runs"][0]["steps"]]
assert steps == ["import", "sync", "drills", "nag", "report"], steps
PYEOF
"$CL" status > "$T/status.txt" || fail "status"
grep -q "^report: next at 2024-04-29 09:00 UTC" "$T/status.txt" || { cat "$T/status.txt"; fail "status text"; }
ok "status"

# the lock: a second run while one holds it exits 75 and changes nothing
$PY - "$T/closeloop.db.lock" "$T/locked" <<'PYEOF' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
os.pwrite(fd, b"pid 4242, started 2024-04-24T11:59:00Z\n", 0)
open(sys.argv[2], "w").close()
time.sleep(20)
PYEOF
holder=$!
i=0; while [ ! -f "$T/locked" ]; do i=$((i+1)); [ $i -lt 100 ] || fail "lock holder"; sleep 0.05; done
runs=$(sqlite3 "$T/closeloop.db" "select count(*) from runs")
"$CL" run > "$T/lock.out" 2>&1; rc=$?
kill $holder 2>/dev/null; wait $holder 2>/dev/null
[ $rc = 75 ] || { cat "$T/lock.out"; fail "locked run exited $rc, want 75"; }
grep -q "pid 4242" "$T/lock.out" || { cat "$T/lock.out"; fail "lock message does not name the holder"; }
[ "$(sqlite3 "$T/closeloop.db" "select count(*) from runs")" = "$runs" ] || fail "locked run wrote"
ok "concurrent run exits 75 naming the holder"

# tracker down: the other steps still run, exit 75, reminders flagged stale
sed -i "s|^url = .*|url = http://127.0.0.1:9|" "$T/config"
export CLOSELOOP_NOW=2024-05-06T10:00:00Z
"$CL" run > "$T/down.out" 2>&1; rc=$?
[ $rc = 75 ] || { cat "$T/down.out"; fail "tracker down: exit $rc, want 75"; }
grep -q "sync failed" "$T/down.out" || { cat "$T/down.out"; fail "sync failure not reported"; }
grep -l "^Subject:.*2024-W19" "$OUT"/*.eml > /dev/null || fail "report not sent while the tracker is down"
w19=$(grep -l "^Subject:.*2024-W19" "$OUT"/*.eml)
$PY - "$w19" <<'PYEOF' || fail "stale warning in the report"
import email, sys
from email import policy
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
text = msg.get_body(("plain",)).get_content()
assert "last sync with the issue tracker failed at 2024-05-06" in text, text[:400]
PYEOF
"$CL" status --json | jq_py 'd["sync"]["failed_at"]' | grep -q 2024-05-06 || fail "status: sync failure"
ok "a failing step does not stop the others"
# never a report for a week that ended before the database existed: a new
# database on Wednesday of W20, the report due on Fridays, W19 is not sent
sed -e "s|^database = .*|database = $T/new.db|" -e "s|^weekday = monday|weekday = friday|" \
    -e "s|^outbox = .*|outbox = $T/outbox2|" -e "/^\[tracker\]/,/^$/d" "$T/config" > "$T/config2"
chmod 600 "$T/config2"
export CLOSELOOP_NOW=2024-05-15T10:00:00Z
"$CL" -c "$T/config2" run 2>"$T/err" || { cat "$T/err"; fail "run on a new database"; }
ls "$T/outbox2" 2>/dev/null | grep -q report && fail "report for a week before the database existed"
export CLOSELOOP_NOW=2024-05-17T10:00:00Z
"$CL" -c "$T/config2" run 2>"$T/err" || { cat "$T/err"; fail "Friday run"; }
grep -l "^Subject:.*2024-W20" "$T/outbox2"/*.eml > /dev/null || fail "no W20 report on Friday"
ok "no report for weeks before the database; the first one on its weekday"
echo "t70-run: ok"
