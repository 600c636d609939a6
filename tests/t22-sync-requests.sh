#!/bin/sh
# Request counts against the fake GitHub: a first push of N items costs N
# creates (plus list pages); a sync of N linked items with nothing changed
# costs at most 3 requests; with k changed issues at most 3 + ceil(k/100).
. "$(dirname "$0")/helpers/sync-lib.sh"
N_DOCS=${N_DOCS:-40}; PER=${PER:-25}; K=${K:-250}
N=$((N_DOCS * PER))

start_fake
write_config github "$FAKE" acme/ops
sh "$ROOT/tests/helpers/gen-pm.sh" "$T/pm" "$N_DOCS" "$PER"
"$CL" init >/dev/null 2>&1 || fail init
"$CL" import "$T/pm" >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "first sync: $(cat "$T/out")"
posts=$(stat 'd["by_method"].get("POST",0)')
[ "$posts" = "$N" ] || fail "first push: $posts creates for $N items"
[ "$(stat 'd["issues"]')" = "$N" ] || fail "tracker holds $(stat 'd["issues"]') issues"
echo "first push of $N items: $(stat 'd["requests"]') requests ($posts creates)"
# cron runs minutes apart: let the second of the last write pass, so that
# the cursor can move past it (the server's Date header shows it is over)
sleep 2
"$CL" sync >/dev/null 2>&1 || fail "second sync"

admin /_admin/reset-counts >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "no-op sync"
req=$(stat 'd["requests"]')
echo "no-op sync of $N linked items: $req requests"
[ "$req" -le 3 ] || fail "no-op sync cost $req > 3: $(stat 'd["by_route"]')"

# k issues closed by people in the tracker
admin /_admin/reset-counts >/dev/null
$PY - "$FAKE" "$K" <<'PYEOF'
import json, sys, urllib.request
base, k = sys.argv[1], int(sys.argv[2])
for n in range(1, k + 1):
    urllib.request.urlopen(urllib.request.Request(base + "/_admin/issue/%d" % n,
        data=json.dumps({"state": "closed"}).encode(),
        headers={"Content-Type": "application/json"}), timeout=10).read()
PYEOF
"$CL" sync > "$T/out" 2>&1 || fail "sync of $K changes: $(cat "$T/out")"
req=$(stat 'd["requests"]')
limit=$((3 + (K + 99) / 100))
echo "sync with $K changed issues: $req requests (limit $limit)"
[ "$req" -le "$limit" ] || fail "$K changes cost $req > $limit: $(stat 'd["by_route"]')"
done_items=$("$CL" list --all --json | jq_py 'len([i for i in d["items"] if i["status"]=="done"])')
[ "$done_items" = "$K" ] || fail "$done_items items done, want $K"
ok "request counts hold"
echo "t22: all passed"
