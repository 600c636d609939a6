#!/bin/sh
# bench/sync.sh [N_DOCS PER_DOC K]: sync benchmark against the local fake
# GitHub (tests/helpers/fake_github.py), min_interval_ms = 0.
# Prints: time and requests of the first push of N items, of a no-op sync
# of N linked items, and of a sync where K issues changed in the tracker.
set -u
N_DOCS=${1:-200}; PER=${2:-50}; K=${3:-500}
N=$((N_DOCS * PER))
# reuse the test helpers (temp dir, fake server, cleanup)
. "$(dirname "$0")/../tests/helpers/sync-lib.sh"
now_ms() { $PY -c 'import time; print(int(time.monotonic() * 1000))'; }

start_fake
write_config github "$FAKE" acme/ops
sh "$ROOT/tests/helpers/gen-pm.sh" "$T/pm" "$N_DOCS" "$PER"
"$CL" init >/dev/null 2>&1 || fail init
t0=$(now_ms); "$CL" -q import "$T/pm" >/dev/null 2>&1; t1=$(now_ms)
echo "import of $N items: $((t1 - t0)) ms"

t0=$(now_ms); "$CL" sync > "$T/out" 2>&1 || fail "first sync: $(cat "$T/out")"; t1=$(now_ms)
echo "first push of $N items: $((t1 - t0)) ms, $(stat 'd["requests"]') requests ($(stat 'd["by_route"]'))"
[ "$(stat 'd["issues"]')" = "$N" ] || fail "tracker holds $(stat 'd["issues"]') issues, want $N"

sleep 2   # cron runs minutes apart; lets the cursor pass the last write's second
"$CL" sync >/dev/null 2>&1
admin /_admin/reset-counts >/dev/null
t0=$(now_ms); "$CL" sync >/dev/null 2>&1 || fail "no-op sync"; t1=$(now_ms)
echo "no-op sync of $N linked items: $((t1 - t0)) ms, $(stat 'd["requests"]') requests"

admin /_admin/reset-counts >/dev/null
$PY - "$FAKE" "$K" <<'PYEOF'
import json, sys, urllib.request
base, k = sys.argv[1], int(sys.argv[2])
for n in range(1, k + 1):
    urllib.request.urlopen(urllib.request.Request(base + "/_admin/issue/%d" % n,
        data=json.dumps({"state": "closed"}).encode(),
        headers={"Content-Type": "application/json"}), timeout=10).read()
PYEOF
t0=$(now_ms); "$CL" sync >/dev/null 2>&1 || fail "k-changed sync"; t1=$(now_ms)
echo "sync with $K changed issues: $((t1 - t0)) ms, $(stat 'd["requests"]') requests (bound $((3 + (K + 99) / 100)))"
