#!/bin/sh
# Every request closeloop sends to GitHub is validated against GitHub's own
# API description (../shared/api/github-issues.openapi.json) by Prism in
# proxy mode in front of the fake GitHub; zero violations is the assertion.
# Prism is installed with npm into a local directory when missing (no skip).
. "$(dirname "$0")/helpers/sync-lib.sh"

SPEC=${CLOSELOOP_GITHUB_SPEC:-}
for c in "$ROOT/../shared/api/github-issues.openapi.json" \
         "$ROOT/../../shared/api/github-issues.openapi.json" \
         "/work/shared/api/github-issues.openapi.json"; do
    [ -z "$SPEC" ] && [ -f "$c" ] && SPEC=$c
done
[ -n "$SPEC" ] && [ -f "$SPEC" ] || fail "GitHub OpenAPI description not found (set CLOSELOOP_GITHUB_SPEC)"
PRISM=$(sh "$ROOT/tests/helpers/install-prism.sh") || fail "Prism could not be installed"

pport=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_fake --public-url "http://127.0.0.1:$pport"
"$PRISM" proxy --errors -h 127.0.0.1 -p "$pport" "$SPEC" "$FAKE" > "$T/prism.log" 2>&1 &
PIDS="$PIDS $!"
i=0
until $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$pport" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 300 ] && { cat "$T/prism.log"; fail "Prism did not start"; }
    sleep 0.1
done
PROXY="http://127.0.0.1:$pport"

# Prism must reject a bad request, or this test proves nothing
$PY - "$PROXY" <<'PYEOF' || fail "Prism let an invalid create through"
import json, sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1] + "/repos/acme/ops/issues", method="POST",
    data=json.dumps({"body": "no title", "labels": 7}).encode(),
    headers={"Content-Type": "application/json", "User-Agent": "t",
             "Accept": "application/json", "Authorization": "Bearer x"})
try:
    urllib.request.urlopen(req, timeout=20)
    sys.exit(1)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 422 else 1)
PYEOF
admin /_admin/reset-counts >/dev/null

write_config github "$PROXY" acme/ops
mkdir -p "$T/pm"
cat > "$T/pm/cache.md" <<'MD'
# Cache stampede after deploy - 2024-05-02

Severity: SEV3

## Action items

| Action | Owner | Due | Ticket |
|--------|-------|-----|--------|
| Add request coalescing to the cache | alice | 2024-06-01 | |
| Stagger cache TTLs | bob | 2024-06-10 | |
| Load test the cold start | | 2024-06-20 | |
| Remove the legacy warmup script | alice | 2024-05-20 | |
MD
"$CL" init >/dev/null 2>&1 || fail init
"$CL" import "$T/pm" >/dev/null 2>&1
total=0
run() {
    "$CL" sync > "$T/out" 2>&1 || { cat "$T/prism.log" | tail -20; fail "sync through Prism: $(cat "$T/out")"; }
    n=$(sed -n 's/.*(\([0-9]*\) requests\{0,1\}).*/\1/p' "$T/out")
    total=$((total + n))
}
run                                    # creates (POST), list (GET)
admin /_admin/issue/1 '{"state":"closed","state_reason":"completed"}' >/dev/null
admin /_admin/issue/2 '{"assignee":"alice-gh","title":"renamed in the tracker"}' >/dev/null
run                                    # pull, title restore (PATCH)
sed -i '/Remove the legacy warmup script/d' "$T/pm/cache.md"
sed -i 's/Stagger cache TTLs | bob | 2024-06-10/Stagger cache TTLs | bob | 2024-06-30/' "$T/pm/cache.md"
"$CL" import "$T/pm" >/dev/null 2>&1
run                                    # close as not planned, body update
"$CL" done cache.3 >/dev/null 2>&1 || fail "done"
run                                    # close as completed
"$CL" reopen cache.3 >/dev/null 2>&1 || fail "reopen"
run                                    # reopen
seen=$(stat 'd["requests"]')
echo "closeloop sent $total requests through Prism; the fake saw $seen ($(stat 'd["by_route"]'))"
[ "$total" -gt 8 ] || fail "too few requests to prove anything"
[ "$seen" = "$total" ] || { grep -i -B2 -A8 "violat\|error" "$T/prism.log" | head -60; fail "Prism stopped $((total - seen)) requests"; }
# Request violations fail. Of the response side only one is tolerated: the
# description lists no 304 for GET .../issues, which GitHub (and the fake)
# send for a matching If-None-Match; anything else in a response means the
# fake drifted from GitHub and fails too.
$PY - "$T/prism.log" <<'PYEOF' || fail "Prism reported violations"
import re, sys
status, bad, known = None, [], 0
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"has returned (\d+)", line)
    if m:
        status = m.group(1)
    if "Violation:" in line:
        if "Unable to match the returned status code" in line and status == "304":
            known += 1
        else:
            bad.append(line.strip())
print("prism: %d violations, %d tolerated (304 not in the description)" % (len(bad), known))
for b in bad[:40]:
    print("  " + b)
sys.exit(1 if bad else 0)
PYEOF
[ "$(stat 'd["issues"]')" = 4 ] || fail "issues: $(stat 'd["issues"]')"
ok "$total requests, zero violations"
echo "t23: all passed"
