#!/bin/sh
# Drill invites parsed by python3-icalendar (not our parser): iTIP properties,
# time zones, SEQUENCE on update, CANCEL, RRULE; dry runs change nothing;
# schedule prints the id on its last line; list --json.
. "$(dirname "$0")/lib.sh"
IC="$PY $TOP/tests/helpers/icalcheck.py"
$PY -c 'import icalendar' || fail "python3-icalendar is not installed (contrib/install-deps.sh)"

mkdir -p "$T/pm"
cat > "$T/pm/queue.md" <<'DOC'
# Post-mortem: order queue stalled after a broker failover

**Date:** 2024-03-05
**Authors:** @ines, @omar

## Action items

| Action | Owner | Due |
|--------|-------|-----|
| Make consumers reconnect to the new leader; retry with jitter | @ines | 2024-03-15 |
| Page on queue depth, not on consumer count | @omar | 2024-03-18 |
| Document the failover check in the broker runbook, "step 4" | @ines | 2024-03-22 |
DOC
cat > "$T/config" <<CFG
[closeloop]
database = $T/db
[people]
ines = Inès Duarte <ines@example.com>
omar = Omar Said <omar@example.org>
[mail]
from = closeloop <closeloop@example.com>
transport = file
outbox = $T/outbox
[drill]
organizer = SRE On-call <sre@example.com>
timezone = Europe/Berlin
CFG
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
C="$CL -c $T/config"
expect_rc 0 $C init
expect_rc 0 $C import "$T/pm"

# dry run: the calendar on stdout, nothing stored or sent
expect_rc 0 $C drill schedule queue --at "2024-04-02 14:00"
cp "$T/out" "$T/dry.ics"
$IC "$T/dry.ics" --method REQUEST --sequence 0 --status CONFIRMED --tzid Europe/Berlin \
    --start-utc 2024-04-02T12:00:00Z --duration 60 --attendees 2 \
    --attendee ines@example.com --attendee omar@example.org --alarm 15 \
    --summary-has "order queue stalled" --description-has "queue.1" || fail "dry-run invite"
expect_in "$T/err" "nothing was changed"
expect_rc 0 $C drill list --json
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(len(d["drills"]) != 0)' "$T/out" ||
    fail "a dry run stored a drill"
[ ! -d "$T/outbox" ] || [ -z "$(ls "$T/outbox")" ] || fail "a dry run sent mail"

# schedule --send: id alone on the last line, one message in the outbox
expect_rc 0 $C drill schedule queue --at "2024-04-02 14:00" --duration 90 --send
id=$(tail -n 1 "$T/out")
[ "$id" = 1 ] || fail "schedule printed '$id' as last line"
[ "$(ls "$T/outbox" | wc -l)" -eq 1 ] || fail "expected one message"
uid=$($IC "$T/outbox/"*.eml --method REQUEST --sequence 0 --duration 90 --print-uid) ||
    fail "sent invite"
$IC "$T/dry.ics" --uid "$uid" || fail "the dry run predicted a different UID"

# reschedule: dry run shows SEQUENCE 1, then the sent update has it
expect_rc 0 $C drill reschedule 1 --at "2024-04-04 09:30"
$IC "$T/out" --method REQUEST --sequence 1 --uid "$uid" --start-utc 2024-04-04T07:30:00Z ||
    fail "reschedule dry run"
expect_rc 0 $C drill list --json
$PY - "$T/out" <<'PYEOF' || fail "dry run changed the drill"
import json, sys
d = json.load(open(sys.argv[1]))["drills"][0]
assert d["sequence"] == 0 and d["start"] == "2024-04-02T14:00:00+02:00", d
PYEOF
expect_rc 0 $C drill reschedule 1 --at "2024-04-04 09:30" --send
expect_rc 0 $C drill reschedule 1 --at "2024-04-05 10:00" --tz America/New_York --send
[ "$(ls "$T/outbox" | wc -l)" -eq 3 ] || fail "expected three messages"
found=0
for f in "$T/outbox/"*.eml; do
    $IC "$f" --sequence 2 2>/dev/null || continue
    $IC "$f" --uid "$uid" --tzid America/New_York --start-utc 2024-04-05T14:00:00Z ||
        fail "second update"
    found=1
done
[ $found -eq 1 ] || fail "no message with SEQUENCE 2"

# cancel: METHOD:CANCEL, SEQUENCE up, STATUS:CANCELLED, attendees listed
expect_rc 0 $C drill cancel 1
$IC "$T/out" --method CANCEL --sequence 3 --status CANCELLED --uid "$uid" --attendees 2 ||
    fail "cancel dry run"
expect_rc 0 $C drill cancel 1 --send
expect_rc 0 $C drill list --json
$PY - "$T/out" <<'PYEOF' || fail "list --json after cancel"
import json, sys
ds = json.load(open(sys.argv[1]))["drills"]
assert len(ds) == 1, ds
d = ds[0]
for k in ("id", "postmortem", "title", "start", "timezone", "duration", "sequence", "state",
          "attendees"):
    assert k in d, k
assert d["state"] == "cancelled" and d["sequence"] == 3 and d["postmortem"] == "queue", d
assert d["timezone"] == "America/New_York" and d["start"] == "2024-04-05T10:00:00-04:00", d
assert sorted(a["email"] for a in d["attendees"]) == ["ines@example.com", "omar@example.org"]
PYEOF
expect_rc 64 $C drill reschedule 1 --at "2024-04-06 10:00"
expect_in "$T/err" "cancelled, not scheduled"

# recurring, explicit attendee, other zone
expect_rc 0 $C drill schedule queue --at "2024-05-06 10:00" --tz America/New_York \
    --every quarter --attendee omar --attendee "Guest <guest@example.net>"
$IC "$T/out" --rrule "FREQ=MONTHLY;INTERVAL=3" --tzid America/New_York \
    --start-utc 2024-05-06T14:00:00Z --attendees 2 --attendee guest@example.net ||
    fail "recurring invite"
expect_rc 0 $C drill schedule queue --at "2024-05-06 10:00" --tz UTC
$IC "$T/out" --start-utc 2024-05-06T10:00:00Z || fail "UTC invite"

# bad input
expect_rc 64 $C drill schedule queue --at "tomorrow"
expect_rc 64 $C drill schedule queue --at "2024-05-06 10:00" --every fortnight
expect_rc 64 $C drill schedule queue --at "2024-05-06 10:00" --tz Mars/Base
expect_rc 64 $C drill schedule queue --at "2024-05-06 10:00" --attendee nobody
expect_rc 66 $C drill schedule nosuch --at "2024-05-06 10:00"
expect_rc 66 $C drill cancel 42
expect_rc 64 $C drill done 1
echo "t60: ok"
