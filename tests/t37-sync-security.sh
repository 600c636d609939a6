#!/bin/sh
# The tracker's trust boundaries (docs/security.md section 10), end to end
# against the fake GitHub and a hostile server:
#  1. an overall deadline ([tracker] max_sync_s): a tracker that trickles
#     its answer stops the sync at the deadline with 75, database intact;
#  2. a secret with a line break (header injection) is refused with 78 and
#     never printed, -vv included;
#  3. a cleartext http:// URL to another host needs allow_http = yes;
#  4. markers: an issue filed by someone else that carries an item's marker
#     is never adopted; closeloop's own marker is a line of its own;
#  5. a ticket a document names, which closeloop did not create, is read
#     and never closed or reopened (unless [tracker] manage_linked = yes);
#  6. an assignee GitHub drops (no push access) is not sent again and again.
. "$(dirname "$0")/helpers/sync-lib.sh"

sh "$ROOT/tests/helpers/gen-pm.sh" "$T/pm" 1 2
write_config github "http://127.0.0.1:1" acme/ops
"$CL" init >/dev/null 2>&1 || fail init
"$CL" import "$T/pm" >/dev/null 2>&1 || fail import

# --- 1. overall deadline -----------------------------------------------------
rm -f "$T/h.port"
$PY "$ROOT/tests/helpers/hostile_http.py" --mode trickle --port-file "$T/h.port" \
    --max-seconds 120 2>"$T/h.log" &
hpid=$!
PIDS="$PIDS $hpid"
write_config github "http://127.0.0.1:$(wait_port "$T/h.port")" acme/ops \
    "$(printf '%s\n' 'timeout_s = 40' 'retries = 0' 'max_sync_s = 3')"
start=$(date +%s)
"$CL" sync > "$T/out" 2> "$T/err"; rc=$?
took=$(( $(date +%s) - start ))
kill "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null
[ $rc = 75 ] || fail "deadline: exit $rc, want 75: $(cat "$T/err")"
[ "$took" -le 10 ] || fail "deadline: the sync took $took s with max_sync_s = 3"
grep -q "max_sync_s = 3" "$T/err" || fail "deadline not named: $(cat "$T/err")"
[ "$(sqlite3 "$T/closeloop.db" "PRAGMA integrity_check")" = ok ] || fail "integrity after the deadline"
[ "$(sqlite3 "$T/closeloop.db" "SELECT count(*) FROM items WHERE ticket IS NOT NULL")" = 0 ] ||
    fail "an item got linked"
ok "max_sync_s: stopped after ${took}s with 75, naming the key"

# --- 2. a secret with a control character -------------------------------------
start_fake
write_config github "$FAKE" acme/ops
CL_TEST_TOKEN="$(printf 'x\nX-Injected: yes')" "$CL" -vv sync > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 78 ] || fail "token with LF: exit $rc, want 78: $(cat "$T/err")"
grep -q "control character" "$T/err" || fail "token with LF: $(cat "$T/err")"
grep -q "X-Injected" "$T/out" "$T/err" && fail "the injected header was printed"
[ "$(stat 'd["requests"]')" = 0 ] || fail "a request was sent with a bad token"
ok "a secret with a line break: 78, nothing sent, nothing printed"

# --- 3. cleartext to another host ----------------------------------------------
write_config github "http://tracker.example.invalid" acme/ops
"$CL" sync > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 78 ] || fail "http:// to another host: exit $rc, want 78"
grep -q "allow_http = yes" "$T/err" || fail "http:// to another host: $(cat "$T/err")"
ok "http:// to a non-loopback host needs allow_http = yes"
write_config github "$FAKE" acme/ops

# --- 4. markers: only closeloop's own line, on closeloop's own issue -------------
rm -f "$T/closeloop.db"
"$CL" init >/dev/null 2>&1 || fail init
cat > "$T/pm/conf.md" <<'MD'
# Config push broke the edge - 2024-02-02

## Action items

| Action | Owner | Due |
|--------|-------|-----|
| Check closeloop:XREF first | alice | 2024-03-01 |
| Canary every config push | bob | 2024-03-02 |
| Lint the edge config | alice | 2024-03-03 |
MD
"$CL" import "$T/pm" >/dev/null 2>&1 || fail import
kc=$("$CL" list --all --json | $PY -c 'import json,sys; print([i["id"] for i in json.load(sys.stdin)["items"] if i["action"]=="Canary every config push"][0])')
kl=$("$CL" list --all --json | $PY -c 'import json,sys; print([i["id"] for i in json.load(sys.stdin)["items"] if i["action"]=="Lint the edge config"][0])')
sed -i "s/closeloop:XREF/closeloop:$kc/" "$T/pm/conf.md"
"$CL" import "$T/pm" >/dev/null 2>&1 || fail re-import
# someone files issues naming the items: in passing, and as the exact line
admin /_admin/file "{\"title\":\"hi\",\"body\":\"hi closeloop:$kc\"}" >/dev/null
admin /_admin/file "{\"title\":\"mine now\",\"body\":\"<!-- closeloop:$kl -->\"}" >/dev/null
# and closeloop's own account once wrote the exact line without a create intent
admin /_admin/file "{\"user\":\"closeloop-bot\",\"title\":\"x\",\"body\":\"<!-- closeloop:$kl -->\"}" >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "sync: $(cat "$T/out")"
grep -q "^adopted" "$T/out" && fail "an issue someone else filed was adopted: $(cat "$T/out")"
grep -q "5 created" "$T/out" || fail "want 5 created: $(cat "$T/out")"
for k in $kc $kl; do
    t=$(item_json "$k" | jq_py 'd["ticket"]')
    [ "$(stat "[i['user']['login'] for i in d['list'] if str(i['number'])=='$t'][0]")" = closeloop-bot ] ||
        fail "$k linked to #$t, not an issue closeloop created"
done
# the body closeloop writes: the marker on a line of its own, after the action
kx=$("$CL" list --all --json | $PY -c 'import json,sys; print([i["id"] for i in json.load(sys.stdin)["items"] if i["action"].startswith("Check ")][0])')
tx=$(item_json "$kx" | jq_py 'd["ticket"]')
stat "[i['body'] for i in d['list'] if str(i['number'])=='$tx'][0]" > "$T/body"
grep -qx "<!-- closeloop:$kx -->" "$T/body" || fail "no marker line: $(cat "$T/body")"
[ "$(grep -c 'closeloop:' "$T/body")" = 2 ] || fail "body: $(cat "$T/body")"
# a create whose answer was lost: intent recorded, the issue exists; a
# stranger's copy with the same line is refused, closeloop's own adopted
cat >> "$T/pm/conf.md" <<'MD'
| Page on edge 5xx | bob | 2024-03-04 |
MD
"$CL" import "$T/pm" >/dev/null 2>&1
kp=$("$CL" list --all --json | $PY -c 'import json,sys; print([i["id"] for i in json.load(sys.stdin)["items"] if i["action"]=="Page on edge 5xx"][0])')
ident=$(sqlite3 "$T/closeloop.db" "SELECT tracker FROM sync_items WHERE ticket IS NOT NULL LIMIT 1")
sqlite3 "$T/closeloop.db" "INSERT INTO sync_items (item_id, tracker, intent_at) SELECT id, '$ident', strftime('%Y-%m-%dT%H:%M:%SZ','now') FROM items WHERE key = '$kp'"
own=$(admin /_admin/file "{\"user\":\"closeloop-bot\",\"title\":\"Page on edge 5xx\",\"body\":\"Page on edge 5xx\n\n<!-- closeloop:$kp -->\n\"}" | jq_py 'd["number"]')
# (filed after it: the pull, newest first, sees it first)
admin /_admin/file "{\"title\":\"Page on edge 5xx\",\"body\":\"<!-- closeloop:$kp -->\"}" >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "sync after a lost create: $(cat "$T/out")"
grep -q "1 adopted" "$T/out" || fail "closeloop's own issue not adopted: $(cat "$T/out")"
grep -q "not filed by closeloop's account (mallory)" "$T/out" || fail "no warning: $(cat "$T/out")"
[ "$(item_json "$kp" | jq_py 'd["ticket"]')" = "$own" ] || fail "$kp not linked to #$own"
ok "markers: substrings and other people's issues never adopted; own lost create adopted"

# --- 5. a ticket the document names: its state is the tracker's ------------------
human=$(admin /_admin/file '{"title":"Edge runbook (by hand)","body":"written by a person"}' | jq_py 'd["number"]')
cat > "$T/pm/edge.md" <<MD
# Edge cache purge storm - 2024-02-10

## Action items

| Action | Owner | Due | Ticket |
|--------|-------|-----|--------|
| Write the edge runbook | bob | 2024-03-10 | #$human |
MD
"$CL" import "$T/pm" >/dev/null 2>&1 || fail import
"$CL" sync > "$T/out" 2>&1 || fail "link sync: $(cat "$T/out")"
grep -q "1 linked" "$T/out" || fail "not linked: $(cat "$T/out")"
sed -i 's/| Write the edge runbook | bob | 2024-03-10 |/| Write the edge runbook | bob | 2024-03-10 **DONE** |/' "$T/pm/edge.md"
"$CL" import "$T/pm" >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "sync: $(cat "$T/out")"
[ "$(stat "[i['state'] for i in d['list'] if i['number']==$human][0]")" = open ] ||
    fail "closeloop closed #$human, which a person filed"
admin "/_admin/issue/$human" '{"state":"closed"}' >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "sync: $(cat "$T/out")"
sed -i 's/ \*\*DONE\*\* |/ |/' "$T/pm/edge.md"
"$CL" import "$T/pm" >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "sync: $(cat "$T/out")"
[ "$(stat "[i['state'] for i in d['list'] if i['number']==$human][0]")" = closed ] ||
    fail "closeloop reopened #$human, which a person filed"
write_config github "$FAKE" acme/ops "manage_linked = yes"
"$CL" sync > "$T/out" 2>&1 || fail "sync: $(cat "$T/out")"
[ "$(stat "[i['state'] for i in d['list'] if i['number']==$human][0]")" = open ] ||
    fail "manage_linked = yes: #$human not reopened: $(cat "$T/out")"
ok "a ticket a person filed: never closed or reopened, unless manage_linked = yes"

# --- 6. GitHub drops an assignee without push access: the sync settles ----------
admin /_admin/drop-assignee '{"handles":["bob-gh"]}' >/dev/null
cat >> "$T/pm/conf.md" <<'MD'
| Diff config before push | bob | 2024-03-05 |
MD
"$CL" import "$T/pm" >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "sync: $(cat "$T/out")"
"$CL" sync > "$T/out" 2>&1 || fail "sync: $(cat "$T/out")"
admin /_admin/reset-counts >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "sync: $(cat "$T/out")"
req=$(stat 'd["requests"]')
[ "$req" -le 3 ] || fail "unchanged re-sync with a dropped assignee: $req requests: $(stat 'd["by_route"]')"
[ "$(stat 'd["by_method"].get("PATCH", 0)')" = 0 ] || fail "the dropped assignee was sent again"
ok "GitHub: a dropped assignee is not re-sent ($req request)"
echo "t37: all passed"
