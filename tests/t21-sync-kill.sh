#!/bin/sh
# Never a duplicate: the fake GitHub accepts a create and then stalls; the
# test SIGKILLs closeloop in that window, reruns it, and the tracker must
# hold exactly one issue per item (the lost create is adopted by its
# marker). Then the same with a client timeout instead of a kill (exit 75).
. "$(dirname "$0")/helpers/sync-lib.sh"

start_fake
write_config github "$FAKE" acme/ops
mkdir -p "$T/pm"
cat > "$T/pm/net.md" <<'MD'
# Network partition in zone b - 2024-02-10

## Action items

| Action | Owner | Due |
|--------|-------|-----|
| Alert on BGP session loss | alice | 2024-03-01 |
| Add a second uplink | bob | 2024-04-01 |
| Write the partition runbook | alice | 2024-03-15 |
MD
"$CL" init >/dev/null 2>&1 || fail init
"$CL" import "$T/pm" >/dev/null 2>&1

check_one_each() {
    m=$(stat 'd["markers"]')
    [ "$m" = "$1" ] || fail "tracker markers $m, want $1"
}

# --- kill -9 while the server sits on a create it already made -------------
admin /_admin/faults '{"faults":[{"method":"POST","stall":60,"times":1}]}' >/dev/null
"$CL" sync > "$T/run1" 2>&1 &
pid=$!
i=0
while [ "$(stat 'd["issues"]')" != 1 ]; do
    i=$((i + 1)); [ $i -gt 200 ] && { kill -9 $pid; fail "create never arrived"; }
    sleep 0.05
done
sleep 0.2
kill -9 $pid
wait $pid 2>/dev/null
[ "$(sqlite3 "$T/closeloop.db" 'select count(*) from sync_items where intent_at is not null and ticket is null')" = 1 ] \
    || fail "no pending intent recorded before the create"
[ "$(sqlite3 "$T/closeloop.db" "select count(*) from items where ticket is not null")" = 0 ] \
    || fail "a link was stored although the answer never came"
"$CL" sync > "$T/run2" 2>&1 || fail "rerun failed: $(cat "$T/run2")"
cat "$T/run2"
grep -q "adopted net.1" "$T/run2" || fail "lost create not adopted: $(cat "$T/run2")"
check_one_each '{"net.1": 1, "net.2": 1, "net.3": 1}'
[ "$(stat 'd["issues"]')" = 3 ] || fail "tracker holds $(stat 'd["issues"]') issues, want 3"
[ "$(sqlite3 "$T/closeloop.db" "select count(*) from items where ticket is not null")" = 3 ] \
    || fail "not every item linked"
"$CL" sync > "$T/run3" 2>&1 || fail "third run"
[ "$(stat 'd["issues"]')" = 3 ] || fail "duplicates after the third run"
ok "kill -9 during a create: adopted, one issue per item"

# --- the answer times out: no blind retry of the POST, exit 75, adopt ---
cat >> "$T/pm/net.md" <<'MD'
| Page on packet loss over 2% | bob | 2024-05-01 |
MD
"$CL" import "$T/pm" >/dev/null 2>&1
sed -i 's/^timeout_s = 5/timeout_s = 1/' "$T/config"
admin /_admin/faults '{"faults":[{"method":"POST","stall":3,"times":1}]}' >/dev/null
"$CL" sync > "$T/run4" 2>&1; rc=$?
[ $rc = 75 ] || fail "timed-out create: exit $rc, want 75: $(cat "$T/run4")"
[ "$(stat 'd["markers"].get("net.4", 0)')" = 1 ] || fail "POST was retried blindly"
sleep 2.5   # let the stalled answer finish on the server side
sed -i 's/^timeout_s = 1/timeout_s = 5/' "$T/config"
"$CL" sync > "$T/run5" 2>&1 || fail "rerun after timeout: $(cat "$T/run5")"
check_one_each '{"net.1": 1, "net.2": 1, "net.3": 1, "net.4": 1}'
item_json net.4 | jq_py 'd["ticket"]' | grep -qx 4 || fail "net.4 not linked to #4"
ok "timed-out create: exit 75, adopted on the next run"
echo "t21: all passed"
