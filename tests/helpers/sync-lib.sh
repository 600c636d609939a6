# sync-lib.sh — shared by the tracker sync tests (tests/t2x-*.sh); sourced.
# Makes a private temp dir, starts/stops the fake GitHub, talks to its admin
# endpoints and reads JSON with /usr/bin/python3 (stdlib only).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CL="$ROOT/closeloop"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/cltest.XXXXXX)
PIDS=""
export CL_TEST_TOKEN="ghp_test-secret-0123456789"
export CLOSELOOP_CONFIG="$T/config"
unset CLOSELOOP_NOW

cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# wait_port FILE: waits (bounded) until FILE holds a port; prints it
wait_port() {
    i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1)); [ $i -gt 200 ] && fail "server did not start ($1)"
        sleep 0.05
    done
    cat "$1"
}

# start_fake [ARGS]: starts the fake GitHub; sets FAKE (its URL)
start_fake() {
    rm -f "$T/fake.port"
    $PY "$ROOT/tests/helpers/fake_github.py" --port-file "$T/fake.port" \
        --token "$CL_TEST_TOKEN" --repo acme/ops --max-seconds 900 "$@" \
        2>"$T/fake.log" &
    PIDS="$PIDS $!"
    FAKE="http://127.0.0.1:$(wait_port "$T/fake.port")"
}

# admin PATH [JSON]: GET (or POST JSON) an admin endpoint; prints the answer
admin() {
    $PY - "$FAKE$1" "${2:-}" <<'PYEOF'
import sys, urllib.request
url, body = sys.argv[1], sys.argv[2]
req = urllib.request.Request(url, data=body.encode() if body else None,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
PYEOF
}

# api METHOD PATH [JSON]: a request to the fake as a user would make it
api() {
    $PY - "$1" "$FAKE$2" "${3:-}" <<'PYEOF'
import os, sys, urllib.request
m, url, body = sys.argv[1:4]
req = urllib.request.Request(url, method=m, data=body.encode() if body else None,
    headers={"Authorization": "Bearer " + os.environ["CL_TEST_TOKEN"],
             "User-Agent": "test", "Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
PYEOF
}

# jq_py EXPR: evaluates a Python expression over the JSON on stdin bound to d
jq_py() {
    $PY -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if not isinstance(r,(dict,list)) else json.dumps(r))' "$1"
}

stat() { admin /_admin/stats | jq_py "$1"; }

# write_config KIND URL PROJECT [EXTRA LINES]
write_config() {
    cat > "$T/config" <<CFG
[closeloop]
database = $T/closeloop.db
timezone = UTC

[tracker]
kind = $1
url = $2
project = $3
token_env = CL_TEST_TOKEN
min_interval_ms = 0
max_wait_s = 5
retries = 2
timeout_s = 5
connect_timeout_s = 2
${4:-}

[people]
alice = Alice Doe <alice@example.com>
alice.tracker = alice-gh
bob = Bob Roe <bob@example.com>
bob.tracker = bob-gh
CFG
    chmod 600 "$T/config"
}

# item_json KEY: the item as `show --json` prints it
item_json() { "$CL" show "$1" --json; }
