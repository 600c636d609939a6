#!/bin/sh
# The kill test, generalised: `closeloop run` (import, sync against the fake
# GitHub, drills, reminders and the weekly report through a real SMTP server,
# aiosmtpd) is SIGKILLed at a random moment, over and over (until KILL_COUNT
# runs, 50 by default, were killed; every 10th run is left alone and timed
# to follow the growing work), while the world moves on (a day later each time, a new
# post-mortem every other time). After every kill:
#  - PRAGMA integrity_check is ok and foreign keys hold;
#  - the tracker never holds two issues for one item (markers);
#  - no item lost: the items of every post-mortem are all there or none;
#  - no mail is marked sent that the SMTP server did not accept (every
#    'sent' row of the mail log matches a received message by Message-ID
#    and recipient).
# Beside each killed run, one of `sync`, `nag --send` and `report --send`
# runs too (killed at the same moment): they share the run lock, so the
# invariants hold for them as well.
# A last run without a kill then completes: every open item linked once.
# KILL_SEED fixes the random kill points (printed) to replay a failure.
. "$(dirname "$0")/helpers/sync-lib.sh"
KILLS=${KILL_COUNT:-50}
MAXITER=$((KILLS * 3))
SEED=${KILL_SEED:-$$}
echo "t83: until $KILLS runs are killed (at most $MAXITER runs), KILL_SEED=$SEED"

start_fake
SRV="$T/smtp"
rm -f "$T/smtp.port"
$PY "$ROOT/tests/helpers/smtpd.py" --dir "$SRV" --port-file "$T/smtp.port" \
    --max-seconds 1200 2> "$T/smtpd.err" &
PIDS="$PIDS $!"
SMTP_PORT=$(wait_port "$T/smtp.port")

mkdir -p "$T/pm"
write_config github "$FAKE" acme/ops "
[mail]
transport = smtp
host = 127.0.0.1
port = $SMTP_PORT
tls = none
from = closeloop <closeloop@example.com>
timeout_s = 5
connect_timeout_s = 2

[report]
to = eng-meeting@example.com
weekday = monday
hour = 9

[nag]
every_days = 1
due_soon_days = 3
escalate_after_days = 3

[drill]
organizer = sre-lead@example.com
after_close_days = 1
timezone = UTC"
sed -i "0,/^timezone = UTC$/s||timezone = UTC\nsources = $T/pm|" "$T/config"
printf 'alice.lead = bob\ncarol = Carol Ng <carol@example.com>\ncarol.tracker = carol-gh\n' >> "$T/config"
DB="$T/closeloop.db"
q() { sqlite3 "$DB" "$1"; }

# newdoc N: post-mortem N with 4 items, owners rotating, one already done
newdoc() {
    n=$1
    cat > "$T/pm/inc-$n.md" <<MD
# Incident $n: replica lag on shard $n - 2024-03-$(printf %02d $((n % 27 + 1)))

Written: 2024-03-$(printf %02d $((n % 27 + 1)))

## Action items

| Action | Owner | Due | Status |
|--------|-------|-----|--------|
| Alert on lag for shard $n | @alice | 2024-03-$(printf %02d $((n % 20 + 5))) | |
| Add a read replica for shard $n | @bob | 2024-04-$(printf %02d $((n % 20 + 1))) | |
| Runbook for shard $n failover | @carol | 2024-03-$(printf %02d $((n % 20 + 8))) | |
| Capture lag metrics for shard $n | @alice | 2024-03-02 | done |
MD
}

# rand MAX: a number in 0..MAX-1 from the seeded sequence
RSTATE=$SEED
rand() {
    RSTATE=$(( (RSTATE * 1103515245 + 12345) % 2147483648 ))
    echo $(( (RSTATE / 65536) % $1 ))
}

# check_state WHEN: the invariants
check_state() {
    [ "$(q 'PRAGMA integrity_check')" = ok ] || fail "$1: integrity_check"
    [ -z "$(q 'PRAGMA foreign_key_check')" ] || fail "$1: foreign keys"
    stat 'json.dumps(d["markers"])' > "$T/markers"
    $PY - "$T/markers" "$1" <<'PYEOF' || fail "$1: duplicate tracker issue"
import json, sys
m = json.load(open(sys.argv[1]))
dup = {k: v for k, v in m.items() if v > 1}
if dup:
    sys.exit(f"{sys.argv[2]}: issues per marker > 1: {dup}")
PYEOF
    # every post-mortem in the database has all its 4 items
    bad=$(q "SELECT p.source || ':' || count(i.id) FROM postmortems p LEFT JOIN items i
             ON i.postmortem_id = p.id GROUP BY p.id HAVING count(i.id) <> 4")
    [ -z "$bad" ] || fail "$1: post-mortems with items missing: $bad"
    # no mail marked sent that the server did not accept
    q "SELECT message_id || ' ' || recipient FROM mail_log WHERE status = 'sent'" > "$T/sent"
    $PY - "$SRV" "$T/sent" "$1" <<'PYEOF' || fail "$1: mail marked sent that the server did not get"
import email, glob, json, os, sys
srv, sent, when = sys.argv[1:4]
got = set()
for eml in glob.glob(os.path.join(srv, "*.eml")):
    meta = json.load(open(eml[:-4] + ".json"))
    mid = email.message_from_bytes(open(eml, "rb").read())["Message-ID"] or ""
    mid = mid.strip().strip("<>")
    for r in meta.get("rcpt_tos", meta.get("rcpt", [])):
        got.add((mid, r.lower()))
missing = []
for line in open(sent):
    line = line.strip()
    if not line:
        continue
    mid, rcpt = line.rsplit(" ", 1)
    if (mid.strip("<>"), rcpt.lower()) not in got:
        missing.append(line)
if missing:
    sys.exit(f"{when}: {len(missing)} marked sent, not received: {missing[:3]}")
PYEOF
}

newdoc 1
newdoc 2
"$CL" init > /dev/null 2>&1 || fail init

# writes paced as for the real GitHub (slower runs, more kill points)
sed -i 's/^min_interval_ms = 0$/min_interval_ms = 25/' "$T/config"
now_ms() { $PY -c 'import time; print(int(time.time() * 1000))'; }

# a first run unharmed, timed: kill points spread over that long
export CLOSELOOP_NOW=2024-03-31T10:00:00Z
start=$(now_ms)
"$CL" run > "$T/run.out" 2> "$T/run.err"
rc=$?
dur=$(( $(now_ms) - start ))
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { cat "$T/run.err" >&2; fail "first run exited $rc"; }
check_state "first run"
[ "$dur" -lt 100 ] && dur=100
echo "t83: a full run takes ${dur} ms: the first kill window"

kills=0; finished=0; i=1; doc=3
while [ $kills -lt "$KILLS" ] && [ $i -le $MAXITER ]; do
    export CLOSELOOP_NOW=$($PY -c "import datetime as d; print((d.datetime(2024, 4, 1, 10)
        + d.timedelta(days=$i)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
    [ $((i % 2)) -eq 0 ] && { newdoc $doc; doc=$((doc + 1)); }
    if [ $((i % 10)) -eq 0 ]; then
        # every 10th run is left alone and timed: the work grows with the
        # data, the kill window follows it
        start=$(now_ms)
        "$CL" run > "$T/run.out" 2> "$T/run.err"
        rc=$?
        dur=$(( $(now_ms) - start ))
        ms=none; orc=0
    else
        "$CL" run > "$T/run.out" 2> "$T/run.err" &
        pid=$!
        case $((i % 3)) in
        0) other="sync" ;;
        1) other="nag --send" ;;
        *) other="report --send" ;;
        esac
        # shellcheck disable=SC2086
        "$CL" $other > "$T/other.out" 2> "$T/other.err" &
        opid=$!
        ms=$(rand "$dur")
        sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
        kill -9 "$pid" "$opid" 2>/dev/null
        wait "$pid" 2>/dev/null
        rc=$?
        wait "$opid" 2>/dev/null
        orc=$?
        # the two share the lock: whichever took it first was the one at
        # work, and killing it is the kill point (the other exited 75)
        { [ "$rc" -eq 137 ] || [ "$orc" -eq 137 ]; } && kills=$((kills + 1))
        case "$orc" in 0|1|75|137) ;; *) cat "$T/other.err" >&2
            fail "iteration $i: '$other' beside run exited $orc" ;; esac
    fi
    [ "$rc" -eq 137 ] || [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || [ "$rc" -eq 75 ] || {
        cat "$T/run.err" >&2; fail "iteration $i: run exited $rc"; }
    [ "$rc" -eq 137 ] || [ "${orc:-0}" -eq 137 ] || finished=$((finished + 1))
    check_state "iteration $i (killed after ${ms} ms, rc $rc)"
    i=$((i + 1))
done
echo "t83: $((i - 1)) runs: $kills killed, $finished finished on their own"
[ "$kills" -ge "$KILLS" ] || fail "only $kills runs of $MAXITER were killed: kill points too late"

# a last run, unharmed: everything converges
export CLOSELOOP_NOW=2024-08-01T10:00:00Z
"$CL" run > "$T/run.out" 2> "$T/run.err"
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { cat "$T/run.err" >&2; fail "final run exited $rc"; }
check_state "final run"
open=$(q "SELECT count(*) FROM items WHERE status = 'open'")
linked=$(q "SELECT count(*) FROM items WHERE status = 'open' AND ticket IS NOT NULL")
[ "$open" -eq "$linked" ] || fail "final: $linked of $open open items linked"
markers=$(stat 'len(d["markers"])')
# an issue whose create answer was lost to a kill is adopted by its marker
total=$(q "SELECT count(*) FROM items i JOIN sync_items s ON s.item_id = i.id
           WHERE s.origin IN ('created', 'adopted') AND s.ticket IS NOT NULL")
adopted=$(q "SELECT count(*) FROM sync_items WHERE origin = 'adopted'")
[ "$markers" -eq "$total" ] || fail "final: $markers issues with markers, $total items created or adopted them"
docs=$(ls "$T/pm" | wc -l)
[ "$(q 'SELECT count(*) FROM postmortems')" -eq "$docs" ] || fail "final: post-mortems missing"
sent=$(q "SELECT count(*) FROM mail_log WHERE status = 'sent'")
recv=$(ls "$SRV"/*.eml 2>/dev/null | wc -l)
echo "t83: $docs post-mortems, $open open items linked, $markers issues ($adopted adopted after a kill), $sent mails logged sent, $recv received"
echo "t83: ok"
