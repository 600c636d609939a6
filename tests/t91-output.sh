#!/bin/sh
# Output for a person at a terminal: colours (on a terminal, off with
# NO_COLOR or --color=never, forced with --color=always), tables that fit
# the terminal width (ids whole, the action cut or on its own line), a due
# cell that is not a date marked as such instead of cut to look like one.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/pm"
cat > "$T/config" <<CFG
[closeloop]
database = $T/closeloop.db
timezone = UTC
today = 2024-03-20
CFG
cat > "$T/pm/2024-03-11-a-rather-long-post-mortem-name-for-the-queue-backlog.md" <<'MD'
# Queue backlog - 2024-03-11

Written: 2024-03-12

## Action items

| Action | Owner | Due | Status |
|---|---|---|---|
| Alert on the depth of every order queue and page the on-call engineer when it grows for ten minutes | alice | 2024-03-15 | |
| Add a dead letter queue | bob | sometime after the spring migration | |
| Write the runbook | carol | 2024-04-30 | done |
MD
export CLOSELOOP_CONFIG="$T/config"
expect_rc 0 "$CL" init
"$CL" import "$T/pm" > /dev/null 2>&1

ESC=$(printf '\033')
expect_rc 0 "$CL" --color=always list --all
grep -q "$ESC\[31m" "$T/out" || fail "--color=always: no colour for a late item"
grep -q "$ESC\[32m" "$T/out" || fail "--color=always: no colour for a done item"
expect_rc 0 "$CL" list --all --color=never
grep -q "$ESC" "$T/out" && fail "--color=never printed escapes"
expect_rc 0 "$CL" list --all
grep -q "$ESC" "$T/out" && fail "colours into a pipe"
# on a terminal (script(1) gives a pty): colours, unless NO_COLOR
script -qec "$CL list --all" /dev/null > "$T/tty.out" 2>&1
grep -q "$ESC\[31m" "$T/tty.out" || { cat -v "$T/tty.out"; fail "no colours on a terminal"; }
NO_COLOR=1 script -qec "$CL list --all" /dev/null > "$T/tty.out" 2>&1
grep -q "$ESC\[" "$T/tty.out" && fail "NO_COLOR: colours on a terminal"
echo "ok: colours on a terminal, NO_COLOR, --color=always|never"

# fits COLUMNS; ids whole
fits() {
    $PY - "$1" "$2" <<'PYEOF' || fail "a line is wider than $2 columns"
import sys, unicodedata
w = int(sys.argv[2])
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    n = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
    if n > w:
        sys.exit(f"{n} > {w}: {line!r}")
PYEOF
}
ID=$("$CL" list --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
for w in 200 120 100 80 70; do
    COLUMNS=$w "$CL" list --all > "$T/out" 2>&1 || fail "list at $w columns"
    fits "$T/out" $w
    expect_in "$T/out" "$ID"
done
COLUMNS=120 "$CL" list --all > "$T/out"
expect_in "$T/out" "…"
COLUMNS=70 "$CL" list --all > "$T/out"
grep -q "^    Alert on the depth" "$T/out" || { cat "$T/out"; fail "narrow: the action is not on its own line"; }
# a due cell that is not a date is marked, not cut into a date look-alike
expect_rc 0 "$CL" list --all
expect_in "$T/out" "?sometime"
expect_not_in "$T/out" "~"
echo "ok: tables fit 70..200 columns (an id is never cut), ids whole, a due that is not a date marked"
# status: times in [closeloop] timezone with the zone; no "report is due
# now" when nothing would mail it
cat > "$T/tz.conf" <<CFG
[closeloop]
database = $T/closeloop.db
timezone = Europe/Berlin
[mail]
transport = file
outbox = $T/outbox
from = closeloop <closeloop@example.com>
[report]
to = eng@example.com
weekday = monday
hour = 9
CFG
mkdir -p "$T/outbox"
CLOSELOOP_NOW=2024-03-20T09:00:00Z "$CL" -c "$T/tz.conf" drill schedule "${ID%.*}" \
    --at "2024-04-02 14:00" --tz Europe/Berlin --attendee a@example.com --send > /dev/null 2>&1 ||
    fail "drill schedule"
# show: the history in the configured zone too
CLOSELOOP_NOW=2024-03-20T09:00:00Z "$CL" -c "$T/tz.conf" show "$ID" > "$T/out" 2>&1 || fail show
grep -q "^  20[0-9-]* [0-9:]* Europe/Berlin  import " "$T/out" || { cat "$T/out"; fail "show: history not in local time"; }
grep -q "[0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z" "$T/out" && { cat "$T/out"; fail "show prints UTC times"; }
# drill list fits too: the post-mortem and title move to a line of their own
for w in 70 80 100; do
    COLUMNS=$w "$CL" -c "$T/tz.conf" drill list > "$T/out" 2>&1 || fail "drill list at $w columns"
    fits "$T/out" $w
    expect_in "$T/out" "${ID%.*}"
    grep -q "^1 .*2024-04-02 14:00 Europe/Berlin" "$T/out" || { cat "$T/out"; fail "drill list at $w columns"; }
done
"$CL" -c "$T/tz.conf" drill list > "$T/out" 2>&1
[ "$(wc -l < "$T/out")" = 1 ] || { cat "$T/out"; fail "drill list into a pipe: not one line per drill"; }
CLOSELOOP_NOW=2024-03-20T09:00:00Z "$CL" -c "$T/tz.conf" status > "$T/out" 2>&1 || fail status
expect_in "$T/out" "2024-04-02 14:00 Europe/Berlin"
expect_not_in "$T/out" "T12:00:00Z"
grep -q "[0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z" "$T/out" && { cat "$T/out"; fail "status shows UTC times"; }
CLOSELOOP_NOW=2024-03-26T09:00:00Z "$CL" -c "$T/tz.conf" status > "$T/out" 2>&1 || fail status
grep -q "^report: next at 2024-04-01 09:00 Europe/Berlin" "$T/out" || grep -q "^report: due now: 2024-W1[23]" "$T/out" ||
    { cat "$T/out"; fail "status: report line"; }
expect_rc 0 "$CL" status
expect_in "$T/out" "report: not mailed: no [mail] transport or [report] to"
expect_not_in "$T/out" "due now:"
echo "ok: status shows local times with the zone; no 'due now' without mail"
echo "t91: ok"
