#!/bin/sh
# Import from http(s) URLs against a local web server; other schemes refused.
. "$(dirname "$0")/lib.sh"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
DB="$T/db"
mkdir -p "$T/www"
cp "$TOP/tests/fixtures/parse/table-basic.md" "$T/www/pool.md"
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$T/www" && exec $PY -m http.server "$port" --bind 127.0.0.1) > "$T/www.log" 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$T"' EXIT
i=0; until $PY -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "web server did not start"; sleep 0.1; done
url="http://127.0.0.1:$port/pool.md"
expect_rc 0 "$CL" -d "$DB" -v import "$url"
expect_in "$T/err" "3 new"
expect_rc 0 "$CL" -d "$DB" list --json
$PY - "$T/out" "$url" <<'PYEOF' || fail "URL source identity"
import json, sys
items = json.load(open(sys.argv[1]))["items"]
assert len(items) == 3, items
assert items[0]["postmortem"]["source"] == sys.argv[2], items[0]["postmortem"]
assert all(c.isalnum() or c in "-_." for c in items[0]["id"]), items[0]["id"]
# the id is the document's path, without the host and port it is served from
assert items[0]["id"].startswith("pool."), items[0]["id"]
assert "127" not in items[0]["id"], items[0]["id"]
PYEOF
# unchanged content: nothing parsed again
expect_rc 0 "$CL" -d "$DB" -v import "$url"
expect_in "$T/err" "0 parsed, 1 unchanged"
# a missing document (404) is reported as missing (66), the others still import
expect_rc 66 "$CL" -d "$DB" import "http://127.0.0.1:$port/missing.md" "$TOP/tests/fixtures/parse/crlf.md"
expect_in "$T/err" "missing.md"
expect_in "$T/err" "HTTP 404"
# a server that refuses the connection: try again later (75)
expect_rc 75 "$CL" -d "$DB" import "http://127.0.0.1:9/pm.md" "$TOP/tests/fixtures/parse/crlf.md"
expect_in "$T/err" "the next run tries again"
# the same URL named twice is one document, also in a first import of 64
# files or more (which asks SQLite nothing about names it inserted: the
# second copy failed the run with exit 70, "UNIQUE constraint failed")
$PY "$TOP/bench/gen-corpus.py" "$T/pm" 70 > /dev/null || fail "gen-corpus"
expect_rc 0 "$CL" -d "$T/db2" -v import "$T/pm" "$url" "$url"
expect_in "$T/err" "left out 1: files reached again by another path"
[ "$(sqlite3 "$T/db2" "SELECT count(*) FROM postmortems WHERE source = '$url'")" = 1 ] ||
    fail "the URL named twice is not one post-mortem"
expect_rc 0 "$CL" -d "$DB" import "$url" "$url"
expect_rc 64 "$CL" -d "$DB" list --bogus
expect_rc 65 "$CL" -d "$DB" import "ftp://127.0.0.1/x.md"
expect_in "$T/err" "only http and https"
echo "t02-import-url: ok"
