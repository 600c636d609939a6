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
