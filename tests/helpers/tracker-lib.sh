# tracker-lib.sh — shared by the GitLab/Gitea/Jira sync tests (t30..t39);
# sourced. A private temp dir, one fake tracker server (tests/helpers/
# fake_<name>.py on fakebase.py), its admin endpoints, JSON through
# /usr/bin/python3 (stdlib only).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CL="$ROOT/closeloop"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/cltest.XXXXXX)
PIDS=""
export CL_TEST_TOKEN="tok_test-secret-0123456789"
export CLOSELOOP_CONFIG="$T/config"
unset CLOSELOOP_NOW

cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*" >&2; [ -f "$T/fake.log" ] && tail -n 20 "$T/fake.log" >&2; exit 1; }
ok() { echo "ok: $*"; }

[ -x "$CL" ] || fail "build closeloop first (make)"
[ -x "$PY" ] || fail "$PY is missing (apt-get install python3)"

# wait_port FILE: waits (bounded) until FILE holds a port; prints it
wait_port() {
    i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1)); [ $i -gt 200 ] && fail "server did not start ($1)"
        sleep 0.05
    done
    cat "$1"
}

# start_fake NAME [ARGS]: starts tests/helpers/fake_NAME.py; sets FAKE
start_fake() {
    name=$1; shift
    rm -f "$T/fake.port"
    $PY "$ROOT/tests/helpers/fake_$name.py" --port-file "$T/fake.port" \
        --token "$CL_TEST_TOKEN" --max-seconds 900 "$@" 2>"$T/fake.log" &
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

# jq_py EXPR: evaluates a Python expression over the JSON on stdin bound to d
jq_py() {
    $PY -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if not isinstance(r,(dict,list)) else json.dumps(r))' "$1"
}

stat() { admin /_admin/stats | jq_py "$1"; }

# issue_with KEY EXPR: EXPR over the (common-form) issue carrying closeloop:KEY
issue_with() {
    admin /_admin/stats | $PY -c '
import json, re, sys
d = json.load(sys.stdin)
k = sys.argv[1]
its = [i for i in d["list"] if re.search(r"closeloop:" + re.escape(k) + r"(?![A-Za-z0-9_-])", i["body"] or "")]
if len(its) != 1:
    print("NOT-EXACTLY-ONE(%d)" % len(its)); sys.exit(0)
d = its[0]
r = eval(sys.argv[2])
print(r if not isinstance(r, (dict, list)) else json.dumps(r))' "$1" "$2" 2>/dev/null
}

# write_config KIND URL PROJECT ALICE_HANDLE BOB_HANDLE [EXTRA LINES]
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
max_wait_s = 8
retries = 2
timeout_s = 5
connect_timeout_s = 2
${6:-}

[people]
alice = Alice Doe <alice@example.com>
alice.tracker = $4
bob = Bob Roe <bob@example.com>
bob.tracker = $5
CFG
    chmod 600 "$T/config"
}

item_json() { "$CL" show "$1" --json; }

# key_of ACTION: the item key of an action text
key_of() {
    "$CL" list --all --json | $PY -c 'import json,sys; d=json.load(sys.stdin); print([i["id"] for i in d["items"] if i["action"]==sys.argv[1]][0])' "$1"
}

# requests_of: the request count sync printed in $T/out
requests_of() { sed -n 's/.*(\([0-9]*\) requests\{0,1\}).*/\1/p' "$T/out" | tail -n 1; }
