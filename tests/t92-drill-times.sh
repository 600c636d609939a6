#!/bin/sh
# Drill times a person can trust: a local time in a DST gap is refused, an
# ambiguous one is named (and the instant chosen said); --send without
# [mail] from says so before anything is scheduled; a re-run of a
# post-mortem with open items, a start in the past and `drill done` before
# the start are warned about.
. "$(dirname "$0")/lib.sh"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
mkdir -p "$T/pm" "$T/outbox"
cat > "$T/config" <<CFG
[closeloop]
database = $T/closeloop.db
timezone = Europe/Berlin

[drill]
organizer = SRE <sre@example.com>

[people]
amara = Amara Okafor <amara@example.com>
CFG
printf '# Post-Mortem: Queue backlog - 2024-03-11\n\nWritten: 2024-03-12\n\n## Action items\n\n| Action | Owner | Due | Status |\n|---|---|---|---|\n| Alert on depth | amara | 2024-04-01 | |\n| Add a DLQ | amara | 2024-04-02 | done |\n' > "$T/pm/queue.md"
export CLOSELOOP_CONFIG="$T/config"
expect_rc 0 "$CL" init
"$CL" import "$T/pm" > /dev/null 2>&1
PM=$("$CL" list --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["postmortem"]["id"])')

# 02:30 on 2024-03-31 does not exist in Berlin
expect_rc 64 "$CL" drill schedule "$PM" --at "2024-03-31 02:30" --tz Europe/Berlin --attendee a@example.com
expect_in "$T/err" "'2024-03-31 02:30' does not exist in Europe/Berlin"
expect_rc 64 "$CL" drill schedule "$PM" --at "2024-03-31 02:30" --attendee a@example.com
expect_in "$T/err" "does not exist in Europe/Berlin"
expect_not_in "$T/out" "BEGIN:VCALENDAR"
# 02:30 on 2024-10-27 happens twice: said, with the instant chosen
expect_rc 0 "$CL" drill schedule "$PM" --at "2024-10-27 02:30" --tz Europe/Berlin --attendee a@example.com
expect_in "$T/err" "2024-10-27 02:30 happens twice in Europe/Berlin"
grep -q "the drill is at the first (before the change), 2024-10-27T00:30:00Z\|the drill is at the second (after the change), 2024-10-27T01:30:00Z" "$T/err" ||
    { cat "$T/err"; fail "the instant chosen is not said right"; }
grep -q "DTSTART;TZID=Europe/Berlin:20241027T023000" "$T/out" || { cat "$T/out"; fail "DTSTART"; }
# an ordinary time: no note
expect_rc 0 "$CL" drill schedule "$PM" --at "2024-04-02 14:00" --tz Europe/Berlin --attendee a@example.com
expect_not_in "$T/err" "happens twice"
expect_not_in "$T/err" "does not exist"
# the title without its "Post-Mortem:" (not "DR drill re-run: Post-Mortem: ...")
expect_in "$T/out" "SUMMARY:DR drill re-run: Queue backlog"
expect_not_in "$T/out" "re-run: Post-Mortem"
# show quotes it the same way: not "post-mortem: … — Post-Mortem: …"
ITEM=$("$CL" list --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
expect_rc 0 "$CL" show "$ITEM"
expect_in "$T/out" "post-mortem: $PM — Queue backlog - 2024-03-11"
expect_not_in "$T/out" "Post-Mortem:"
echo "ok: DST gap refused, ambiguous time named"

# --send without [mail] from: said first, nothing scheduled
expect_rc 78 "$CL" drill schedule "$PM" --at "2024-04-02 14:00" --attendee a@example.com --send
expect_in "$T/err" "--send needs [mail] from"
expect_in "$T/err" "nothing was scheduled"
expect_not_in "$T/err" "not changed"
expect_rc 0 "$CL" drill list
expect_in "$T/err" "no drills"
echo "ok: --send without [mail] from"

# warnings: open items, a start in the past, done before the start
printf '[mail]\ntransport = file\noutbox = %s/outbox\nfrom = closeloop <closeloop@example.com>\n' "$T" >> "$T/config"
expect_rc 0 "$CL" drill schedule "$PM" --at "2024-04-02 14:00" --attendee a@example.com --send
expect_in "$T/err" "warning: $PM still has 1 open item"
ID=$(tail -1 "$T/out")
expect_rc 0 "$CL" drill schedule "$PM" --at "2024-03-01 14:00" --attendee a@example.com
expect_in "$T/err" "warning: the drill starts in the past (2024-03-01 14:00 Europe/Berlin)"
expect_rc 0 "$CL" drill done "$ID" --result pass
expect_in "$T/err" "warning: drill $ID has not started yet (it starts 2024-04-02 14:00 Europe/Berlin)"
# reschedule: the gap is refused in the drill's own zone (no --tz), and a
# move into the past is warned about
expect_rc 0 "$CL" drill schedule "$PM" --at "2024-04-02 14:00" --attendee a@example.com --send
ID=$(tail -1 "$T/out")
expect_rc 64 "$CL" drill reschedule "$ID" --at "2024-03-31 02:30" --send
expect_in "$T/err" "'2024-03-31 02:30' does not exist in Europe/Berlin"
expect_rc 0 "$CL" drill list
grep -q "^$ID .*2024-04-02 14:00 Europe/Berlin" "$T/out" || { cat "$T/out"; fail "the refused move changed the drill"; }
expect_rc 0 "$CL" drill reschedule "$ID" --at "2024-03-02 10:00"
expect_in "$T/err" "warning: the drill starts in the past (2024-03-02 10:00 Europe/Berlin)"
expect_rc 0 "$CL" drill reschedule "$ID" --at "2024-04-03 10:00"
expect_not_in "$T/err" "warning"
echo "ok: warnings for open items, a start in the past, done before the start, a move into the gap or the past"
echo "t92: ok"
