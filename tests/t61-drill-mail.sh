#!/bin/sh
# Drills end to end by mail through a real SMTP server (aiosmtpd,
# tests/helpers/smtpd.py): invite, update, cancellation and proposals, parsed
# back with Python's email package and python3-icalendar; a server failure
# changes nothing; a refused attendee does not stop the others (exit 69).
. "$(dirname "$0")/lib.sh"
IC="$PY $TOP/tests/helpers/icalcheck.py"
MC="$PY $TOP/tests/helpers/mailcheck.py"
$PY -c 'import aiosmtpd, icalendar' || fail "python3-aiosmtpd/python3-icalendar missing (contrib/install-deps.sh)"

SRV_PID=""
trap '[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null; rm -rf "$T"' EXIT
# srv_start NAME [smtpd.py options]: a fresh server storing into $T/NAME
srv_start() {
    name=$1; shift
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
    rm -f "$T/port"
    $PY "$TOP/tests/helpers/smtpd.py" --dir "$T/$name" --port-file "$T/port" \
        --max-seconds 90 "$@" > "$T/$name.log" 2>&1 &
    SRV_PID=$!
    i=0
    while [ ! -s "$T/port" ]; do
        i=$((i + 1)); [ $i -le 200 ] || fail "smtpd.py did not start: $(cat "$T/$name.log")"
        sleep 0.05
    done
    port=$(cat "$T/port")
    sed -i "s/^port = .*/port = $port/" "$T/config"
}
count_eml() { ls "$T/$1/"*.eml 2>/dev/null | wc -l; }

mkdir -p "$T/pm"
cat > "$T/pm/dns.md" <<'DOC'
# Post-mortem: resolver timeouts during the DNS provider switch

**Date:** 2024-03-06
**Authors:** @lena

## Action items

| Action | Owner | Due |
|--------|-------|-----|
| Lower the TTL two days before any provider switch | @lena | 2024-03-12 |
| Add a synthetic probe for every public zone | @kofi | 2024-03-19 |
DOC
cat > "$T/config" <<CFG
[closeloop]
database = $T/db
timezone = Europe/Berlin
[people]
lena = Lena Nováková <lena@example.com>
kofi = Kofi Mensah <kofi@example.org>
[mail]
transport = smtp
host = 127.0.0.1
port = 25
tls = none
from = closeloop <closeloop@example.com>
timeout_s = 10
[drill]
organizer = SRE <sre@example.com>
after_close_days = 7
CFG
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
C="$CL -c $T/config"
expect_rc 0 $C init
expect_rc 0 $C import "$T/pm"

LAYOUT="multipart/mixed(multipart/alternative(text/plain,text/html,text/calendar),application/ics)"

# the server is down mid-way: temporary failure, nothing stored
srv_start down --fault mail421
expect_rc 75 $C drill schedule dns --at "2024-04-03 15:00" --send
expect_rc 0 $C drill list --json
expect_in "$T/out" '"drills": []'

# invite
srv_start main
expect_rc 0 $C drill schedule dns --at "2024-04-03 15:00" --send
[ "$(tail -n 1 "$T/out")" = 1 ] || fail "schedule's last line is not the id"
[ "$(count_eml main)" -eq 1 ] || fail "expected 1 message"
$MC "$T/main" --count 1 --structure "$LAYOUT" --calendar-method REQUEST \
    --rcpt lena@example.com --rcpt kofi@example.org --text "2024-04-03 15:00" \
    --subject "Invitation: DR drill re-run: resolver timeouts during the DNS provider switch @ Wed 2024-04-03 15:00-16:00 (Europe/Berlin)" ||
    fail "invite mail"
uid=$($IC "$T/main/"*.eml --method REQUEST --sequence 0 --tzid Europe/Berlin \
      --start-utc 2024-04-03T13:00:00Z --attendees 2 --alarm 15 --print-uid) || fail "invite"

# update: same UID, SEQUENCE 1
expect_rc 0 $C drill reschedule 1 --at "2024-04-04 11:00" --send
[ "$(count_eml main)" -eq 2 ] || fail "expected 2 messages"
found=0
for f in "$T/main/"*.eml; do
    $IC "$f" --sequence 1 2>/dev/null || continue
    $IC "$f" --method REQUEST --uid "$uid" --start-utc 2024-04-04T09:00:00Z || fail "update"
    found=1
done
[ $found -eq 1 ] || fail "no update with SEQUENCE 1"
$MC "$T/main" --subject "Updated invitation: DR drill re-run: resolver timeouts during the DNS provider switch @ Thu 2024-04-04 11:00-12:00 (Europe/Berlin)" ||
    fail "update subject"

# a failed update leaves the stored sequence alone; the next one still goes up
srv_start down2 --fault data451
expect_rc 75 $C drill reschedule 1 --at "2024-04-05 11:00" --send
expect_rc 0 $C drill list --json
expect_in "$T/out" '"sequence": 1'
srv_start main2
expect_rc 0 $C drill cancel 1 --send
$MC "$T/main2" --count 1 --structure "$LAYOUT" --calendar-method CANCEL ||
    fail "cancellation mail"
$IC "$T/main2/"*.eml --method CANCEL --status CANCELLED --sequence 2 --uid "$uid" \
    --attendees 2 || fail "cancellation"

# all items closed → propose --send schedules the re-run 7 days later at the
# first working-hours slot (closed Friday 2024-03-22 → Friday 03-29, 09:00)
export CLOSELOOP_NOW=2024-03-22T15:00:00Z
expect_rc 0 $C done dns.1 dns.2
export CLOSELOOP_NOW=2024-03-25T07:00:00Z
srv_start prop --reject kofi@example.org
expect_rc 0 $C drill propose
[ "$(count_eml prop)" -eq 0 ] || fail "a dry-run proposal sent mail"
$IC "$T/out" --start-utc 2024-03-29T08:00:00Z || fail "proposal dry run"
# one attendee refused (550): the drill stands, the other got it, exit 69
expect_rc 69 $C drill propose --send
expect_in "$T/out" "scheduled drill 2 for dns at 2024-03-29 09:00 Europe/Berlin"
expect_in "$T/err" "kofi@example.org"
[ "$(count_eml prop)" -eq 1 ] || fail "expected one proposal mail"
$MC "$T/prop" --rcpt lena@example.com || fail "proposal recipients"
$IC "$T/prop/"*.eml --method REQUEST --sequence 0 --start-utc 2024-03-29T08:00:00Z \
    --attendee kofi@example.org || fail "proposal invite"
expect_rc 0 $C drill propose --send
expect_in "$T/err" "no drill is due"
[ "$(count_eml prop)" -eq 1 ] || fail "proposed twice"
sqlite3 "$T/db" "SELECT recipient, status FROM mail_log WHERE kind = 'invite' ORDER BY id" > "$T/log"
expect_in "$T/log" "kofi@example.org|rejected"

# the outcome
expect_rc 0 $C drill done 2 --result pass --rto 12 --notes "probe fired in 40 s"
[ "$(sqlite3 "$T/db" "SELECT verified_at IS NOT NULL FROM postmortems WHERE slug = 'dns'")" = 1 ] ||
    fail "pass did not verify the post-mortem"
expect_rc 0 $C drill list --json
$PY - "$T/out" <<'PYEOF' || fail "list after done"
import json, sys
ds = {d["id"]: d for d in json.load(open(sys.argv[1]))["drills"]}
assert ds[1]["state"] == "cancelled" and ds[1]["sequence"] == 2, ds[1]
assert ds[2]["state"] == "done-pass" and ds[2]["rto"] == 12, ds[2]
assert ds[2]["origin"] == "proposal", ds[2]
PYEOF
echo "t61: ok"
