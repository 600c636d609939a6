#!/bin/sh
# make demo: the main job (`closeloop run`) on embedded defaults.
#  - a database and an outbox under ./demo/ (DEMO_DIR overrides),
#  - the example post-mortems and runbook in contrib/examples as the source,
#  - the file mail transport: every mail and invite is an .eml in the outbox,
#  - a local GitHub-like tracker (tests/helpers/fake_github.py on 127.0.0.1);
#    without Python the tracker step runs as a dry run.
# The clock is fixed (CLOSELOOP_NOW) to a Wednesday a week after the examples,
# so that items are overdue and the weekly report is due.
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
DEMO=${DEMO_DIR:-$TOP/demo}
CL=$TOP/closeloop
rm -rf "$DEMO"
mkdir -p "$DEMO/outbox"
export CLOSELOOP_NOW=${CLOSELOOP_NOW:-2024-03-20T09:30:00Z}
export CLOSELOOP_DEMO_TOKEN=demo-token-not-a-secret
fake_pid=""
cleanup() { [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; true; }
trap cleanup EXIT INT TERM

tracker="kind = none"
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 tests/helpers/fake_github.py --port-file "$DEMO/tracker.port" \
        --token "$CLOSELOOP_DEMO_TOKEN" --repo acme/platform --max-seconds 300 \
        2> "$DEMO/tracker.log" &
    fake_pid=$!
    i=0
    while [ ! -s "$DEMO/tracker.port" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
    if [ -s "$DEMO/tracker.port" ]; then
        tracker="kind = github
url = http://127.0.0.1:$(cat "$DEMO/tracker.port")
project = acme/platform
token_env = CLOSELOOP_DEMO_TOKEN
min_interval_ms = 0"
    fi
fi

# write_config TRACKER_LINES: the demo's config
write_config() {
cat > "$DEMO/config" <<CFG
# written by contrib/demo.sh
[closeloop]
database = $DEMO/closeloop.db
timezone = Europe/Berlin
sources = $TOP/contrib/examples

[people]
amara = Amara Okafor <amara@example.com>
amara.lead = ruth
jonas = Jonas Berg <jonas@example.com>
jonas.lead = ruth
li.wei = Li Wei <li.wei@example.com>
oskar = Oskar Lind <oskar@example.com>
priya = Priya Nair <priya@example.com>
marco = Marco Rossi <marco@example.com>
ruth = Ruth Adeyemi <ruth@example.com>

[tracker]
$1

[mail]
transport = file
outbox = $DEMO/outbox
from = closeloop <closeloop@example.com>

[report]
to = Engineering meeting <eng-meeting@example.com>
weekday = monday
hour = 9

[nag]
due_soon_days = 3
every_days = 7
escalate_after_days = 14

[drill]
organizer = Ruth Adeyemi <ruth@example.com>
after_close_days = 7
timezone = Europe/Berlin
CFG
chmod 600 "$DEMO/config"
}
write_config "$tracker"
export CLOSELOOP_CONFIG="$DEMO/config"

echo "== closeloop init"
"$CL" init
echo
echo "== closeloop -v run     (the cron job; the clock reads $CLOSELOOP_NOW)"
rc=0
"$CL" -v run || rc=$?
echo "(exit status $rc)"
if [ "$tracker" = "kind = none" ]; then
    echo "(no local tracker could be started: sync skipped)"
fi
echo
echo "== closeloop list --overdue"
"$CL" list --overdue
echo
echo "== closeloop report     (this week, as text)"
"$CL" report
echo
echo "== closeloop status"
"$CL" status
echo
# header NAME FILE: a header of a message, unfolded (and decoded with Python)
header() {
    if [ -x /usr/bin/python3 ]; then
        /usr/bin/python3 -c 'import sys, email, email.policy
m = email.message_from_binary_file(open(sys.argv[2], "rb"), policy=email.policy.default)
print(m[sys.argv[1]] or "")' "$1" "$2"
    else
        awk -v h="$1:" 'index($0, h) == 1 { s = substr($0, length(h) + 2); on = 1; next }
            on && /^[ \t]/ { sub(/^[ \t]+/, " "); s = s $0; next }
            on { print s; exit }' "$2"
    fi
}
echo "== what was sent"
for f in "$DEMO"/outbox/*.eml; do
    [ -f "$f" ] || continue
    subj=$(header Subject "$f")
    to=$(header To "$f")
    case $(grep -c 'text/calendar' "$f") in 0) kind=mail ;; *) kind=invite ;; esac
    printf '  %-6s %s\n         to %s\n' "$kind" "$subj" "$to"
done
# the local tracker stops with the demo: leave a config that works without it
write_config "kind = none   ; the demo's local tracker is gone: set yours (closeloop.conf(5))"
echo
echo "The mails and calendar invites are in $DEMO/outbox (one .eml each);"
echo "the database is $DEMO/closeloop.db and the config $DEMO/config"
echo "(now without the demo's tracker, which has stopped: [tracker] kind = none)."
echo "Try: CLOSELOOP_CONFIG=$DEMO/config ./closeloop show postmortems-2024-02-12-payments-pool.2"
echo "     CLOSELOOP_CONFIG=$DEMO/config ./closeloop config check"
exit $rc
