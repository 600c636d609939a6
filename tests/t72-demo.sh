#!/bin/sh
# make demo's script: the main job on embedded defaults writes the report,
# the reminders and the drill invites into its outbox, and exits 0.
. "$(dirname "$0")/lib.sh"
cd "$TOP"
DEMO_DIR="$T/demo" sh contrib/demo.sh > "$T/demo.out" 2>&1 || { cat "$T/demo.out"; fail "demo exited $?"; }
expect_in "$T/demo.out" "closeloop weekly report 2024-W12"
expect_in "$T/demo.out" "sync    "
out="$T/demo/outbox"
n=$(ls "$out"/*.eml | wc -l)
[ "$n" -ge 5 ] || fail "only $n messages in the outbox"
grep -l "^Subject: Post-mortem action items, week 2024-W12" "$out"/*.eml > /dev/null || fail "no report"
grep -l "^Subject: Reminder:" "$out"/*.eml > /dev/null || fail "no reminder"
grep -l "text/calendar" "$out"/*.eml > /dev/null || fail "no invite"
grep -q "tracker could not be started" "$T/demo.out" && fail "the demo ran without its local tracker"
# every message parses cleanly with Python's email package
for f in "$out"/*.eml; do
    $PY - "$f" <<'PYEOF' || fail "$f does not parse cleanly"
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
assert not m.defects, m.defects
assert m["Auto-Submitted"] == "auto-generated"
PYEOF
done
echo "t72-demo: ok"
