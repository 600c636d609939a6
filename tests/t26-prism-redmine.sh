#!/bin/sh
# Every request closeloop sends to a real Redmine (throw-away instance,
# tests/helpers/redmine-up.sh) is checked by Prism in proxy mode against the
# community description tested against Redmine 7.0
# (../shared/api/specs/redmine-7.0.openapi.yaml): create with due date and
# assignee, user look-up, statuses, pull (304 included), update, close
# with a journal note (withdrawn), reopen, "who am I" for a lost create.
# Prism must refuse a bad create first; zero violations is the assertion.
. "$(dirname "$0")/helpers/sync-lib.sh"
. "$ROOT/tests/helpers/redmine-up.sh"
. "$ROOT/tests/helpers/prism-lib.sh"
export CL_TEST_TOKEN="$RM_KEY"
# One correction in the copy Prism reads: the server is Debian 12's Redmine
# (5.0), the description is Redmine 7.0's, whose answers carry properties
# 5.0 does not send yet (issue_status.description, a user's status, ...)
# and which it lists as required: the copy drops "required" from the
# component schemas (the answers' types are still checked; the request
# bodies, described in the paths, keep theirs). Nothing else is changed.
SPEC="$T/redmine.openapi.json"
$PY - "$(spec_path redmine-7.0.openapi.yaml)" "$SPEC" <<'PYEOF' || fail "spec copy"
import json, sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
def strip(o):
    if isinstance(o, dict):
        o.pop("required", None) if isinstance(o.get("required"), list) else None
        for v in o.values():
            strip(v)
    elif isinstance(o, list):
        for v in o:
            strip(v)
strip(d.get("components", {}).get("schemas", {}))
json.dump(d, open(sys.argv[2], "w"), default=str)
PYEOF
pport=$(free_port)
start_prism "$SPEC" "$RM_URL" "$pport"
$PY - "$PROXY/issues.json" <<'PYEOF' || fail "Prism let an invalid create through"
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], method="POST", data=b'{"issue": 7}',
    headers={"Content-Type": "application/json", "Accept": "application/json",
             "X-Redmine-API-Key": "x"})
try:
    urllib.request.urlopen(req, timeout=20)
    sys.exit(1)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 422 and "prism" in e.read().decode(errors="replace") else 1)
PYEOF

write_config redmine "$PROXY" ops
sed -i 's/^alice.tracker = alice-gh/alice.tracker = alice-rm/' "$T/config"
mkdir -p "$T/pm"
cat > "$T/pm/pg.md" <<'MD'
# Postgres disk filled by WAL - 2024-06-03

## Action items

| Action | Owner | Due |
|--------|-------|-----|
| Alert when WAL archiving lags | alice | 2024-07-01 |
| Tune autovacuum for the events table | | 2024-07-15 |
| Move WAL to its own volume | alice | 2024-08-01 |
MD
"$CL" init >/dev/null 2>&1 || fail init
"$CL" import "$T/pm" >/dev/null 2>&1
total=0
run() {
    "$CL" sync > "$T/out" 2>&1 || { grep -i "violation" "$T/prism.log" | head; fail "sync through Prism: $(cat "$T/out")"; }
    n=$(sed -n 's/^sync: .*(\([0-9]*\) requests\{0,1\}).*/\1/p' "$T/out")
    total=$((total + n))
}
run                                                  # create, users, statuses
run                                                  # 304
n1=$(item_json pg.1 | jq_py 'd["ticket"]')
rm_api PUT "/issues/$n1.json" '{"issue":{"status_id":5}}' >/dev/null
run                                                  # pull
sed -i 's/| Tune autovacuum for the events table | | 2024-07-15 |/| Tune autovacuum for the events table | | 2024-09-30 |/' "$T/pm/pg.md"
sed -i '/Move WAL to its own volume/d' "$T/pm/pg.md"
"$CL" import "$T/pm" >/dev/null 2>&1
run                                                  # due, withdrawn (note)
"$CL" reopen pg.1 >/dev/null 2>&1 || fail reopen
run                                                  # reopen
cat >> "$T/pm/pg.md" <<'MD'
| Page on WAL volume usage | alice | 2024-08-10 |
MD
"$CL" import "$T/pm" >/dev/null 2>&1
rm_api POST /issues.json '{"issue":{"project_id":"ops","subject":"Page on WAL volume usage","description":"Page on WAL volume usage\r\n\r\n<!-- closeloop:pg.4 -->\r\n"}}' >/dev/null
sqlite3 "$T/closeloop.db" "INSERT INTO sync_items (item_id, tracker, intent_at) SELECT id, (SELECT tracker FROM sync_items WHERE ticket IS NOT NULL LIMIT 1), strftime('%Y-%m-%dT%H:%M:%SZ','now') FROM items WHERE key = 'pg.4'"
run                                                  # who am I, adopt
grep -q "adopted pg.4" "$T/out" || fail "lost create not adopted: $(cat "$T/out")"
echo "closeloop sent $total requests through Prism"
[ "$total" -gt 10 ] || fail "too few requests to prove anything"
# A 304 answers a conditional GET (If-None-Match) whenever nothing changed
# (RFC 9110 15.4.5); the description lists no 304 for any path, so that one
# status is tolerated on GETs. Whether a run sees one depends on Redmine's
# clock second, which is why it is not always there.
prism_violations 'status == "304" and "returned status code" in line'
ok "$total requests through Prism to Redmine, zero violations"
echo "t26: all passed"
