#!/bin/sh
# Jira configuration and data edges: extra_fields that is not JSON or not an
# object → 78 naming the key; Cloud without user → 78; unknown flavor → 78;
# a required custom field left out → the item is refused with the field
# named and nothing else stops; Data Center wiki markup characters escaped
# and the marker kept findable; summaries cut to one line.
. "$(dirname "$0")/helpers/tracker-lib.sh"
start_fake jira --flavor cloud --project OPS --user bot@example.com --users acct-a,acct-b \
    --require-field customfield_10010
mkdir -p "$T/pm"
cat > "$T/pm/net.md" <<'MD'
# Network partition - 2024-02-02

## Action items

| Action | Owner | Due |
|--------|-------|-----|
| Add *partition* alarms [fast] {now} | alice | 2024-04-01 |
MD
base=$(printf '%s\n' "flavor = cloud" "user = bot@example.com" "search_wait_ms = 0")
write_config jira "$FAKE" OPS acct-a acct-b "$base
extra_fields = {\"customfield_10010\": "
"$CL" init >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1; rc=$?
[ $rc = 78 ] || fail "bad extra_fields JSON: exit $rc: $(cat "$T/out")"
grep -q "extra_fields" "$T/out" || fail "the key is not named: $(cat "$T/out")"
grep -q "config:" "$T/out" || grep -q "$T/config" "$T/out" || fail "the file is not named: $(cat "$T/out")"
write_config jira "$FAKE" OPS acct-a acct-b "$base
extra_fields = [1, 2]"
"$CL" sync > "$T/out" 2>&1; rc=$?
[ $rc = 78 ] && grep -q "extra_fields must be a JSON object" "$T/out" || fail "array extra_fields: $rc $(cat "$T/out")"
write_config jira "$FAKE" OPS acct-a acct-b "flavor = cloud"
"$CL" sync > "$T/out" 2>&1; rc=$?
[ $rc = 78 ] && grep -q "user" "$T/out" || fail "cloud without user: $rc $(cat "$T/out")"
write_config jira "$FAKE" OPS acct-a acct-b "flavor = server-ish
user = bot@example.com"
"$CL" sync > "$T/out" 2>&1; rc=$?
[ $rc = 78 ] && grep -q "flavor" "$T/out" || fail "bad flavor: $rc $(cat "$T/out")"
[ "$(stat 'd["requests"]')" = 0 ] || fail "config errors reached the tracker"
ok "config errors → 78 before any request"

# a required custom field missing: the item is refused, the field named
write_config jira "$FAKE" OPS acct-a acct-b "$base"
"$CL" import "$T/pm" >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "sync with a refused item should go on: $(cat "$T/out")"
grep -q "customfield_10010" "$T/out" || fail "the missing field is not named: $(cat "$T/out")"
[ "$(stat 'd["issues"]')" = 0 ] || fail "an issue was made"
ok "missing required field named on the item"

# Data Center: wiki escaping, marker kept
admin /_admin/reset-counts >/dev/null
kill $(echo $PIDS) 2>/dev/null; PIDS=""
start_fake jira --flavor datacenter --project OPS --user closeloop --users alice,bob
rm -f "$T/closeloop.db"
sed -i 's/^| Add \*partition\* alarms.*/| Add *partition* alarms [fast] {now} - see net_ops | alice | 2024-04-01 |/' "$T/pm/net.md"
write_config jira "$FAKE" OPS alice bob "flavor = datacenter
search_wait_ms = 0"
"$CL" init >/dev/null 2>&1
"$CL" import "$T/pm" >/dev/null 2>&1
key=$("$CL" list --all --json | jq_py 'd["items"][0]["id"]')
"$CL" sync > "$T/out" 2>&1 || fail "dc sync: $(cat "$T/out")"
grep -q "1 created" "$T/out" || fail "dc create: $(cat "$T/out")"
desc=$(stat 'd["list"][0]["body"]')
printf '%s\n' "$desc" | grep -qF 'alarms \[fast\] \{now\} - see net\_ops' || fail "not escaped: $desc"
printf '%s\n' "$desc" | grep -qF "closeloop:$key" || fail "marker changed: $desc"
# what closeloop reads back is the text it wrote
"$CL" sync > "$T/out" 2>&1 || fail "dc resync"
grep -q "0 updated" "$T/out" || fail "the escaped body looked changed: $(cat "$T/out")"
ok "Data Center wiki text escaped, marker intact ($key)"
echo "t36: all passed"
