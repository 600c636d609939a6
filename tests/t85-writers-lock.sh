#!/bin/sh
# Every command that writes the tracker, sends mail or writes the database
# takes the run lock: `sync`, `nag --send` and `report --send` started
# beside `run` (and `sync` beside `sync`) against the fake GitHub and a real
# SMTP server (aiosmtpd) never make a second issue for one item nor send a
# message twice; the one that finds the lock held exits 75, having done
# nothing. Readers (list, status, sync --dry-run) take no lock.
. "$(dirname "$0")/helpers/sync-lib.sh"
ROUNDS=${LOCK_ROUNDS:-4}

start_fake
SRV="$T/smtp"
rm -f "$T/smtp.port"
$PY "$ROOT/tests/helpers/smtpd.py" --dir "$SRV" --port-file "$T/smtp.port" \
    --max-seconds 600 2> "$T/smtpd.err" &
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

[report]
to = eng-meeting@example.com
weekday = monday
hour = 9

[nag]
every_days = 1
due_soon_days = 3"
sed -i "0,/^timezone = UTC$/s||timezone = UTC\nsources = $T/pm|" "$T/config"
# writes paced a little, as for the real GitHub: the runs overlap
sed -i 's/^min_interval_ms = 0$/min_interval_ms = 5/' "$T/config"
DB="$T/closeloop.db"
q() { sqlite3 "$DB" "$1"; }

# newdoc N: a post-mortem with 20 overdue items
newdoc() {
    {
        printf '# Incident %s: queue backlog - 2024-03-01\n\nWritten: 2024-03-02\n\n' "$1"
        printf '## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n'
        k=1
        while [ $k -le 20 ]; do
            [ $((k % 2)) = 0 ] && who=alice || who=bob
            printf '| Fix part %s of backlog %s | %s | 2024-03-10 |\n' "$k" "$1" "$who"
            k=$((k + 1))
        done
    } > "$T/pm/inc-$1.md"
}

# no_duplicates WHEN: one issue per marker, no message received twice
no_duplicates() {
    stat 'json.dumps(d["markers"])' > "$T/markers"
    $PY - "$T/markers" "$SRV" "$1" <<'PYEOF' || fail "$1"
import email, glob, json, os, sys
m = json.load(open(sys.argv[1]))
dup = {k: v for k, v in m.items() if v > 1}
if dup:
    sys.exit(f"{sys.argv[3]}: {len(dup)} items have two issues: {sorted(dup)[:3]}")
seen = {}
for eml in sorted(glob.glob(os.path.join(sys.argv[2], "*.eml"))):
    msg = email.message_from_bytes(open(eml, "rb").read())
    rcpt = json.load(open(eml[:-4] + ".json")).get("rcpt_tos", [])
    for r in rcpt:
        key = (r.lower(), str(msg["Subject"]))
        seen[key] = seen.get(key, 0) + 1
twice = [k for k, v in seen.items() if v > 1]
if twice:
    sys.exit(f"{sys.argv[3]}: received twice: {twice[:3]}")
PYEOF
}

# pair WHEN CMD...: starts `run` and CMD at once; both exit 0, 1 or 75
pair() {
    when=$1; shift
    "$CL" run > "$T/a.out" 2> "$T/a.err" &
    a=$!
    "$CL" "$@" > "$T/b.out" 2> "$T/b.err" &
    b=$!
    wait $a; ra=$?
    wait $b; rb=$?
    case "$ra" in 0|1|75) ;; *) cat "$T/a.err" >&2; fail "$when: run exited $ra" ;; esac
    case "$rb" in 0|1|75) ;; *) cat "$T/b.err" >&2; fail "$when: $* exited $rb" ;; esac
    if [ "$rb" = 75 ]; then
        grep -q "another closeloop command holds" "$T/b.err" ||
            { cat "$T/b.err" >&2; fail "$when: $* exited 75 without naming the lock"; }
    fi
    no_duplicates "$when: run & $*"
    echo "t85: $when: run $ra, $* $rb"
}

"$CL" init > /dev/null 2>&1 || fail init
i=1
while [ $i -le "$ROUNDS" ]; do
    # a new day and a new post-mortem each round; mail of earlier rounds put away
    export CLOSELOOP_NOW="2024-03-$(printf %02d $((10 + i * 2)))T10:00:00Z"
    newdoc "$i"
    "$CL" import > /dev/null 2>&1
    mkdir -p "$T/old$i"; mv "$SRV"/*.eml "$SRV"/*.json "$T/old$i/" 2>/dev/null
    case $((i % 3)) in
    1) pair "round $i" sync ;;
    2) pair "round $i" nag --send ;;
    0) pair "round $i" report --send ;;
    esac
    i=$((i + 1))
done
ok "sync, nag --send, report --send beside run: no duplicate issue, no duplicate mail"

# sync beside sync on 20 new items
newdoc 99
"$CL" import > /dev/null 2>&1
"$CL" sync > "$T/s1.out" 2>&1 & s1=$!
"$CL" sync > "$T/s2.out" 2>&1 & s2=$!
wait $s1; r1=$?; wait $s2; r2=$?
case "$r1$r2" in 00|075|750) ;; *) cat "$T/s1.out" "$T/s2.out" >&2; fail "sync & sync: $r1 $r2" ;; esac
no_duplicates "sync & sync"
ok "sync beside sync ($r1, $r2)"

# while the lock is held: every writer exits 75 and changes nothing; readers read
$PY - "$DB.lock" "$T/locked" <<'PYEOF' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
os.pwrite(fd, b"pid 4242, started 2024-04-24T11:59:00Z\n", 0)
open(sys.argv[2], "w").close()
time.sleep(30)
PYEOF
holder=$!
PIDS="$PIDS $holder"
n=0; while [ ! -f "$T/locked" ]; do n=$((n+1)); [ $n -lt 100 ] || fail "lock holder"; sleep 0.05; done
hist=$(q "select count(*) from history")
key=$(q "select p.slug || '.' || i.seq from items i join postmortems p on p.id = i.postmortem_id where i.status = 'open' limit 1")
for cmd in "sync" "nag --send" "report --send" "import" "done $key" "reopen $key" \
           "drill done 1 --result pass" "forget inc-99" "run"; do
    # shellcheck disable=SC2086
    "$CL" $cmd > "$T/w.out" 2>&1; rc=$?
    [ "$rc" = 75 ] || { cat "$T/w.out"; fail "'$cmd' under the lock exited $rc, want 75"; }
    grep -q "pid 4242" "$T/w.out" || { cat "$T/w.out"; fail "'$cmd': message does not name the holder"; }
done
[ "$(q "select count(*) from history")" = "$hist" ] || fail "a locked writer wrote history"
for cmd in "list" "status" "show $key" "sync --dry-run" "nag" "report" "drill list"; do
    # shellcheck disable=SC2086
    "$CL" $cmd > "$T/r.out" 2>&1; rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$T/r.out"; fail "reader '$cmd' under the lock exited $rc"; }
done
kill $holder 2>/dev/null; wait $holder 2>/dev/null
ok "writers exit 75 naming the holder while the lock is held; readers go on"
echo "t85: ok"
