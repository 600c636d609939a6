#!/bin/sh
# The command line one step past the tour (issue: the first hour):
#  - a missing option argument names the long option as typed;
#  - global options (-v, -q, -c, -d, --color) work after the command too;
#  - "did you mean" for a mistyped command, option, item id, post-mortem id;
#  - done/reopen say what changed (or that nothing did); --note is kept in
#    the item's history.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/pm"
cat > "$T/config" <<CFG
[closeloop]
database = $T/closeloop.db
timezone = UTC
today = 2024-03-20

[people]
alice = Alice Doe <alice@example.com>
CFG
cat > "$T/pm/2024-03-11-queue-backlog.md" <<'MD'
# Queue backlog - 2024-03-11

Written: 2024-03-12

## Action items

| Action | Owner | Due |
|---|---|---|
| Alert on queue depth | alice | 2024-03-30 |
| Add a dead letter queue | alice | 2024-04-10 |
MD
export CLOSELOOP_CONFIG="$T/config"
expect_rc 0 "$CL" init
expect_rc 0 "$CL" import "$T/pm"
ID=$("$CL" list --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
PM=${ID%.*}

# --- a missing argument names the long option ---------------------------------
for c in "list --owner:--owner" "list --postmortem:--postmortem" "report --week:--week" \
         "report --format:--format" "drill schedule $PM --tz:--tz" \
         "drill schedule $PM --attendee:--attendee" "drill schedule $PM --at:--at" \
         "init --config:--config" "drill done 1 --result:--result" "done --note:--note" \
         "reopen --note:--note" "drill schedule $PM --duration:--duration" \
         "drill schedule $PM --every:--every" "drill reschedule 1 --at:--at" \
         "drill reschedule 1 --tz:--tz" "drill reschedule 1 --duration:--duration" \
         "drill done 1 --rto:--rto" "drill done 1 --notes:--notes" \
         "drill list --postmortem:--postmortem" "list --format:--format" \
         "list --database:--database" "list --config:--config" "list --color:--color" \
         "list --own:--owner" "report --wee:--week"; do
    cmd=${c%:*}; opt=${c##*:}
    # shellcheck disable=SC2086
    expect_rc 64 "$CL" $cmd
    expect_in "$T/err" "option '$opt' needs an argument"
done
expect_rc 64 "$CL" --config
expect_in "$T/err" "option '--config' needs an argument"
echo "ok: missing arguments name the long option"

# --- global options after the command -----------------------------------------
expect_rc 0 "$CL" list -q
expect_rc 0 "$CL" list --verbose
"$CL" run -v > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || { cat "$T/err"; fail "run -v exited $rc"; }
expect_in "$T/out" "import"
cp "$T/config" "$T/other.conf"
sed -i "s|^database = .*|database = $T/other.db|" "$T/other.conf"
expect_rc 0 "$CL" init -c "$T/other.conf"
[ -f "$T/other.db" ] || fail "init -c after the command did not use that config"
expect_rc 0 "$CL" list -d "$T/other.db"
expect_in "$T/out" "no open items"
expect_rc 0 "$CL" list --color=never
expect_rc 64 "$CL" list --color=sometimes
echo "ok: global options after the command"

# --- did you mean ---------------------------------------------------------------
expect_rc 64 "$CL" lsit
expect_in "$T/err" "unknown command: lsit (did you mean 'list'?)"
expect_rc 64 "$CL" list --ownr alice
expect_in "$T/err" "unknown option '--ownr' (did you mean '--owner'?)"
expect_rc 66 "$CL" show "2024-03-11-$ID"
expect_in "$T/err" "(did you mean '$ID'?)"
typo=$(echo "$ID" | sed 's/queue/qeueu/')
expect_rc 66 "$CL" done "$typo"
expect_in "$T/err" "(did you mean '$ID'?)"
expect_rc 66 "$CL" list --postmortem "${PM}x"
expect_in "$T/err" "no post-mortem '${PM}x' (did you mean '$PM'?)"
# a mistyped tail of the id, everywhere a post-mortem is named
short=$(echo "${PM#*-*-*-}" | sed 's/backlog/backlgo/')
expect_rc 66 "$CL" forget "$short"
expect_in "$T/err" "no post-mortem '$short' (did you mean '$PM'?)"
expect_rc 66 "$CL" drill schedule "$short" --at "2024-04-02 14:00"
expect_in "$T/err" "(did you mean '$PM'?)"
expect_rc 66 "$CL" drill list --postmortem "$short"
expect_in "$T/err" "(did you mean '$PM'?)"
expect_rc 66 "$CL" list --postmortem nothing-like-any-id
expect_in "$T/err" "see 'closeloop list --all' for ids"
# sub-commands, global options before the command, ambiguous prefixes
# an owner nobody is: the list is empty, and the nearest name is said
expect_rc 0 "$CL" list --owner alcie
expect_in "$T/out" "no open items"
expect_in "$T/err" "no items of 'alcie' (did you mean 'alice'?)"
expect_rc 0 "$CL" list --owner ALICE
expect_not_in "$T/err" "did you mean"
expect_rc 64 "$CL" drill shedule "$PM"
expect_in "$T/err" "unknown drill command 'shedule' (did you mean 'schedule'?)"
expect_rc 64 "$CL" config chek
expect_in "$T/err" "unknown config command 'chek' (did you mean 'check'?)"
expect_rc 64 "$CL" drill
expect_in "$T/err" "name a drill command (list, schedule, reschedule, cancel, done, propose)"
expect_rc 64 "$CL" --colr=never list
expect_in "$T/err" "unknown option '--colr=never' (did you mean '--color'?)"
expect_rc 64 "$CL" drill done 1 --result maybe
expect_in "$T/err" "--result 'maybe': use pass or fail"
expect_rc 64 "$CL" report --fo text
expect_in "$T/err" "option '--fo' is ambiguous, could be: --format, --force"
echo "ok: did you mean (command, sub-command, option, item id, post-mortem id)"

# --- done says what changed; --note is kept -------------------------------------
expect_rc 0 "$CL" done --note "shipped in release 42" "$ID"
expect_in "$T/err" "$ID: open → done"
expect_rc 0 "$CL" done "$ID"
expect_in "$T/err" "$ID: already done, nothing changed"
expect_rc 0 "$CL" show "$ID" --json
$PY - "$T/out" <<'PYEOF' || fail "the note is not in the history"
import json, sys
h = json.load(open(sys.argv[1]))["history"]
assert any(x["field"] == "note" and x["new"] == "shipped in release 42" for x in h), h
PYEOF
expect_rc 0 "$CL" show "$ID"
expect_in "$T/out" "shipped in release 42"
expect_rc 0 "$CL" reopen -q "$ID"
[ -s "$T/err" ] && fail "reopen -q printed: $(cat "$T/err")"
echo "ok: done/reopen say what changed, --note kept in history"
# sync --dry-run against a tracker that is down: no plan, only the error
cp "$T/config" "$T/down.conf"
printf '[tracker]\nkind = github\nurl = http://127.0.0.1:9\nproject = acme/ops\ntoken_env = T88_TOKEN\nretries = 0\nconnect_timeout_s = 2\n' >> "$T/down.conf"
T88_TOKEN=x "$CL" -c "$T/down.conf" sync --dry-run > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 75 ] || { cat "$T/out" "$T/err"; fail "sync --dry-run, tracker down: exit $rc, want 75"; }
[ -s "$T/out" ] && { cat "$T/out"; fail "sync --dry-run printed a plan for a tracker that is down"; }
expect_not_in "$T/err" "0 created"
echo "ok: sync --dry-run against a tracker that is down prints no plan"
# a due date with a time of day is that day; a year-less date far after
# the incident is linted due-far
mkdir -p "$T/far"
printf '# Outage - 2024-01-15\n\nWritten: 2024-01-16\n\n## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n| Fix the thing | alice | Jan 5 |\n| Fix the other | alice | 2024-03-15 17:00 |\n| Fix a third | alice | Feb 20 |\n' > "$T/far/outage.md"
expect_rc 1 "$CL" lint "$T/far"
expect_in "$T/out" "outage.md:9: due-far: due date 'Jan 5' has no year and is read as 2025-01-05"
expect_not_in "$T/out" "due-not-a-date"
expect_not_in "$T/out" ":11: due-far"
expect_rc 0 "$CL" import "$T/far"
expect_rc 0 "$CL" list --all --json
$PY -c 'import json,sys; d={i["action"]: i["due"] for i in json.load(open(sys.argv[1]))["items"]}; assert d["Fix the other"] == "2024-03-15", d' "$T/out" ||
    fail "2024-03-15 17:00 not read as 2024-03-15"
echo "ok: a due date with a time is that day; due-far"
echo "t88: ok"
