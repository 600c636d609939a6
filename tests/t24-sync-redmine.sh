#!/bin/sh
# closeloop sync against a real Redmine (throw-away instance on 127.0.0.1):
# create with due date and assignee, close in Redmine → done locally, due
# date both ways, adoption of a create whose answer was lost (found by its
# marker), incremental pull (no-op sync ≤ 3 requests, 304), withdrawn →
# closed (Rejected) with a journal note.
. "$(dirname "$0")/helpers/sync-lib.sh"
. "$ROOT/tests/helpers/redmine-up.sh"
export CL_TEST_TOKEN="$RM_KEY"

write_config redmine "$RM_URL" ops
sed -i 's/^alice.tracker = alice-gh/alice.tracker = alice-rm/' "$T/config"
mkdir -p "$T/pm"
cat > "$T/pm/pg.md" <<'MD'
# Postgres disk filled by WAL - 2024-06-03

Severity: SEV1

## Action items

| Action | Owner | Due |
|--------|-------|-----|
| Alert when WAL archiving lags | alice | 2024-07-01 |
| Tune autovacuum for the events table | | 2024-07-15 |
| Delete the stale replication slot | alice | 2024-06-04 |
| Move WAL to its own volume | alice | 2024-08-01 |
MD
sed -i 's/| Delete the stale replication slot | alice | 2024-06-04 |/| Delete the stale replication slot | alice | 2024-06-04 **DONE** |/' "$T/pm/pg.md"
"$CL" init >/dev/null 2>&1 || fail init
"$CL" import "$T/pm" >/dev/null 2>&1

issues() { rm_api GET "/issues.json?project_id=ops&status_id=*&limit=100"; }
issue_of() { issues | jq_py "[i for i in d['issues'] if 'closeloop:$1' in (i.get('description') or '')]"; }

# --- a create whose answer was lost: the issue exists (filed with closeloop's
# key, the marker line as closeloop writes it), the intent is recorded
rm_api POST /issues.json "{\"issue\":{\"project_id\":\"ops\",\"subject\":\"Move WAL to its own volume\",\"description\":\"Move WAL to its own volume\\r\\n\\r\\n<!-- closeloop:pg.4 -->\\r\\n\"}}" >/dev/null
sqlite3 "$T/closeloop.db" "insert into sync_items (item_id, tracker, intent_at) select id, 'redmine $RM_URL ops', '2024-01-01T00:00:00Z' from items where key = 'pg.4'" \
    || fail "cannot seed the intent"

"$CL" sync > "$T/out" 2>&1 || fail "first sync: $(cat "$T/out")"
cat "$T/out"
grep -q "2 created" "$T/out" || fail "want 2 created"
grep -q "adopted pg.4" "$T/out" || fail "lost create not adopted"
[ "$(issues | jq_py 'd["total_count"]')" = 3 ] || fail "Redmine holds $(issues | jq_py 'd["total_count"]') issues, want 3"
[ "$(issue_of pg.4 | jq_py 'len(d)')" = 1 ] || fail "pg.4 duplicated"
i1=$(issue_of pg.1)
[ "$(printf '%s\n' "$i1" | jq_py 'd[0]["due_date"]')" = 2024-07-01 ] || fail "due date not native: $i1"
[ "$(printf '%s\n' "$i1" | jq_py 'd[0]["assigned_to"]["id"]')" = "$RM_ALICE" ] || fail "assignee: $i1"
n1=$(printf '%s\n' "$i1" | jq_py 'd[0]["id"]')
item_json pg.1 | jq_py 'd["ticket"]' | grep -qx "$n1" || fail "pg.1 ticket"
item_json pg.1 | jq_py 'd["url"]' | grep -qx "$RM_URL/issues/$n1" || fail "pg.1 url"
item_json pg.3 | jq_py 'd["ticket"]' | grep -qx None || fail "done item pushed"
ok "create with due date and assignee; lost create adopted"

# --- incremental pull: nothing changed costs ≤ 3 requests, 304 -------------
"$CL" sync >/dev/null 2>&1; sleep 1.2; "$CL" sync >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "no-op sync"
req=$(sed -n 's/.*(\([0-9]*\) requests\{0,1\}).*/\1/p' "$T/out")
echo "no-op sync against Redmine: $req requests; $(cat "$T/out")"
[ "$req" -le 3 ] || fail "no-op sync cost $req requests"
grep -q "not modified" "$T/out" || fail "no 304 from Redmine"
ok "no-op sync: $req request(s), 304"

# --- closed in Redmine → done; due date changed in Redmine → pulled -------
n2=$(issue_of pg.2 | jq_py 'd[0]["id"]')
rm_api PUT "/issues/$n1.json" '{"issue":{"status_id":5}}' >/dev/null
rm_api PUT "/issues/$n2.json" '{"issue":{"due_date":"2024-08-15"}}' >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "pull sync: $(cat "$T/out")"
item_json pg.1 | jq_py 'd["status"]' | grep -qx done || fail "closed in Redmine, not done"
item_json pg.1 | jq_py '[h for h in d["history"] if h["origin"]=="tracker" and h["field"]=="status"][0]["new"]' \
    | grep -qx done || fail "no tracker history row"
item_json pg.2 | jq_py 'd["due"]' | grep -qx 2024-08-15 || fail "due date did not flow back"
ok "close and due date pulled from Redmine"

# --- due date from the document → Redmine ---------------------------------
sed -i 's/| Tune autovacuum for the events table | | 2024-07-15 |/| Tune autovacuum for the events table | | 2024-09-30 |/' "$T/pm/pg.md"
"$CL" import "$T/pm" >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "push sync: $(cat "$T/out")"
[ "$(rm_api GET "/issues/$n2.json" | jq_py 'd["issue"]["due_date"]')" = 2024-09-30 ] || fail "doc due date not pushed"
ok "due date pushed to Redmine"

# --- withdrawn → closed as Rejected with a note ---------------------------
sed -i '/Move WAL to its own volume/d' "$T/pm/pg.md"
"$CL" import "$T/pm" >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "withdraw sync: $(cat "$T/out")"
n4=$(issue_of pg.4 | jq_py 'd[0]["id"]')
rm_api GET "/issues/$n4.json?include=journals" > "$T/i4"
jq_py 'd["issue"]["status"]["name"]' < "$T/i4" | grep -qx Rejected || fail "withdrawn: $(cat "$T/i4")"
jq_py '[j.get("notes") for j in d["issue"]["journals"]]' < "$T/i4" | grep -q withdrawn || fail "no note"
ok "withdrawn item closed as Rejected with a note"
echo "t24: all passed"
