#!/bin/sh
# A hostile tracker (tests/helpers/hostile_http.py): endless, gzip-bombed,
# trickling, silent, malformed, deeply nested, wrongly typed, header-flooded,
# non-HTTP and redirecting answers. closeloop sync must end in bounded time
# with a clear message naming the server and a "retry later" or "bad data"
# status (never a crash, never 70), the token never printed, and the
# database intact with no item linked to anything the server said.
. "$(dirname "$0")/helpers/sync-lib.sh"

sh "$ROOT/tests/helpers/gen-pm.sh" "$T/pm" 1 3
write_config github "http://127.0.0.1:1" acme/ops
"$CL" init >/dev/null 2>&1 || fail init
"$CL" import "$T/pm" >/dev/null 2>&1 || fail import
items=$(sqlite3 "$T/closeloop.db" "SELECT group_concat(key || status, ',') FROM items")

# try MODE WANT...: sync against the hostile server; the exit status must be
# one of WANT; prints the seconds it took
try() {
    mode=$1; shift
    rm -f "$T/h.port"
    $PY "$ROOT/tests/helpers/hostile_http.py" --mode "$mode" --port-file "$T/h.port" \
        --max-seconds 120 2>"$T/h.$mode.log" &
    hpid=$!
    PIDS="$PIDS $hpid"
    url="http://127.0.0.1:$(wait_port "$T/h.port")"
    write_config github "$url" acme/ops "timeout_s = 3"
    start=$(date +%s)
    "$CL" -vv sync > "$T/out" 2> "$T/err"
    rc=$?
    took=$(( $(date +%s) - start ))
    kill "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null
    ok=0
    for w in "$@"; do [ "$rc" -eq "$w" ] && ok=1; done
    [ $ok -eq 1 ] || { tail -n 20 "$T/err" >&2; fail "$mode: exit $rc, want one of $*"; }
    # (-vv traces name the server anyway: look at the error line itself)
    grep 'closeloop:' "$T/err" | tail -n 1 | grep -q -e "127.0.0.1" -e "GitHub" ||
        { tail -n 5 "$T/err" >&2; fail "$mode: the error does not name the server"; }
    grep -qF "$CL_TEST_TOKEN" "$T/out" "$T/err" && fail "$mode: the token was printed"
    [ "$took" -le 60 ] || fail "$mode: took $took s"
    [ "$(sqlite3 "$T/closeloop.db" "PRAGMA integrity_check")" = ok ] || fail "$mode: integrity"
    [ "$(sqlite3 "$T/closeloop.db" "SELECT group_concat(key || status, ',') FROM items")" = "$items" ] ||
        fail "$mode: items changed"
    [ "$(sqlite3 "$T/closeloop.db" "SELECT count(*) FROM items WHERE ticket IS NOT NULL OR url IS NOT NULL")" -eq 0 ] ||
        fail "$mode: an item got linked"
    ok "$mode: exit $rc in ${took}s: $(grep 'closeloop:' "$T/err" | tail -n 1 | cut -c1-160)"
}

try huge 65 69 75
try gzipbomb 65 69 75
try trickle 75
try stall 75
try garbage 65 69 75
try deep 65 69 75
try wrongtype 65 69 75
try badunicode 65 69 75
try headers 65 69 75
try badstatus 65 69 75
try redirect 65 69 75
echo "t82: ok"
