#!/bin/sh
# The README's tour runs as written; the example config, with every key
# uncommented, is accepted; [closeloop] today fixes the clock.
. "$(dirname "$0")/lib.sh"
cd "$TOP"
# the ```sh block that starts with the fixed clock is the tour
awk '/^```sh$/ { blk = ""; inb = 1; next }
     /^```$/ && inb { if (blk ~ /CLOSELOOP_NOW=2024-03-20/) { printf "%s", blk; exit } inb = 0; next }
     inb { blk = blk $0 "\n" }' README.md > "$T/tour.sh"
[ -s "$T/tour.sh" ] || fail "no tour in README.md"
sh -e "$T/tour.sh" > "$T/tour.out" 2>&1 || { cat "$T/tour.out"; fail "README tour failed"; }
expect_in "$T/tour.out" "Make order consumers idempotent"
expect_in "$T/tour.out" "BEGIN:VCALENDAR"

# the second hour runs after the tour, in the same shell, against the fake
# GitHub instead of api.github.com (the only change)
awk '/^```sh$/ { blk = ""; inb = 1; next }
     /^```$/ && inb { if (blk ~ /^# the second hour/) { printf "%s", blk; exit } inb = 0; next }
     inb { blk = blk $0 "\n" }' README.md > "$T/second.sh"
[ -s "$T/second.sh" ] || fail "no second hour in README.md"
TOKEN=ghp_docs-test-token
$PY "$TOP/tests/helpers/fake_github.py" --port-file "$T/fake.port" --token "$TOKEN" \
    --repo acme/ops --max-seconds 120 2> "$T/fake.log" &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null; rm -rf "$T"' EXIT
i=0; while [ ! -s "$T/fake.port" ]; do i=$((i+1)); [ $i -lt 200 ] || fail "fake GitHub"; sleep 0.05; done
FAKE="http://127.0.0.1:$(cat "$T/fake.port")"
grep -q "ghp_your_token" "$T/second.sh" || fail "the second hour has no token to replace"
sed -e "s|https://api.github.com|$FAKE|" -e "s|ghp_your_token|$TOKEN|" \
    "$T/second.sh" > "$T/second.run"
# its last line runs the job as cron does: what that prints, cron mails
tail -1 "$T/second.run" | grep -q '^env -i \./closeloop -c "$CLOSELOOP_CONFIG" run ' ||
    fail "the second hour does not end with the job run as cron runs it"
{ cat "$T/tour.sh"; sed '$d' "$T/second.run"; echo 'echo "== as cron runs it"'; tail -1 "$T/second.run"; } > "$T/both.sh"
sh -e "$T/both.sh" > "$T/second.out" 2>&1 || { cat "$T/second.out"; fail "README second hour failed"; }
sed -n '/^== as cron runs it$/,$p' "$T/second.out" > "$T/cron.out"
[ "$(wc -l < "$T/cron.out")" = 1 ] || { cat "$T/cron.out"; fail "the job as cron runs it printed something (cron would mail it)"; }
expect_in "$T/second.out" "ok    tracker   github acme/ops: authenticated"
expect_in "$T/second.out" "would create"
expect_in "$T/second.out" "created"
expect_in "$T/second.out" "Last runs"
# the wording a new user reads: one request is "1 request"; "with problems"
expect_in "$T/second.out" "(1 request, nothing written)"
expect_in "$T/second.out" "0 with problems (1 request)"
expect_in "$T/second.out" "sync (dry run, nothing written): 7 to create, 0 to adopt"
expect_not_in "$T/second.out" "nothing written): 7 created"
expect_in "$T/second.out" "0 with problems; 1 request"
expect_not_in "$T/second.out" "1 requests"
expect_not_in "$T/second.out" "item errors"
kill $FAKE_PID 2>/dev/null
ok() { :; }

# every key of the example config is a key closeloop knows
sed -e 's/^# \([a-z_.]* = \)/\1/' contrib/closeloop.conf.example > "$T/all.conf"
grep -q '^kind = none' "$T/all.conf" || fail "uncommenting the example failed"
chmod 600 "$T/all.conf"
expect_rc 0 "$CL" -c "$T/all.conf" -d "$T/db" init
expect_rc 0 "$CL" -c "$T/all.conf" -d "$T/db" list --json
# today = 2024-03-20 in that file fixes the clock
expect_rc 0 "$CL" -c "$T/all.conf" -d "$T/db" status --json
$PY -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["next"]["report"].get("week") == "2024-W12", s["next"]' "$T/out" \
    || fail "[closeloop] today did not fix the clock"
# init --config writes exactly the example and never overwrites
expect_rc 0 "$CL" -d "$T/db" init --config "$T/new.conf"
cmp -s "$T/new.conf" contrib/closeloop.conf.example || fail "starter config differs from the example"
[ "$(stat -c %a "$T/new.conf")" = 600 ] || fail "starter config not mode 600"
expect_rc 73 "$CL" -d "$T/db" init --config "$T/new.conf"
expect_in "$T/err" "not overwriting"
echo "t03-docs: ok"
