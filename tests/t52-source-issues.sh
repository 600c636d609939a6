#!/bin/sh
# Tracker issues as post-mortems: [source] kind = github against the fake
# GitHub and kind = gitlab against the fake GitLab. Each issue labelled
# postmortem is a post-mortem (title from the issue, date from the body or
# the creation date); unlabelled issues and the issues closeloop itself
# creates for action items are not; re-imports ask only for what changed
# (since / updated_after); the items sync to the tracker like any others,
# an item naming an existing issue is linked, nothing is duplicated.
. "$(dirname "$0")/helpers/source-lib.sh"

# new_issue TITLE BODY-FILE LABELS-JSON: files an issue on the fake GitHub
new_issue() {
    api POST /repos/acme/ops/issues "$($PY -c 'import json,sys; print(json.dumps({"title": sys.argv[1], "body": open(sys.argv[2]).read(), "labels": json.loads(sys.argv[3])}))' "$1" "$2" "$3")" |
        jq_py 'd["number"]'
}

start_fake
write_config github "$FAKE" acme/ops "
[source \"incidents\"]
kind = github
url = $FAKE
project = acme/ops
token_env = CL_TEST_TOKEN"

echo "Runbook for the cache tier" > "$T/hand.md"
hand=$(new_issue "Runbook for the cache tier (filed by hand)" "$T/hand.md" '[]')
cat > "$T/pm1.md" <<MD
**Date:** 2024-02-11

Cache nodes ran out of memory.

## Corrective actions

| Action | Owner | Due | Ticket |
|---|---|---|---|
| Cap the cache size | alice | 2024-03-01 | |
| Write the cache runbook | bob | 2024-03-15 | #$hand |
MD
cat > "$T/pm2.md" <<'MD'
Nobody wrote the date down.

## Action items

- [ ] Alert on eviction rate — @alice, due 2024-04-01
MD
echo "Just a bug" > "$T/bug.md"
new_issue "Cache OOM" "$T/pm1.md" '["postmortem", "sev2"]' >/dev/null
new_issue "Login bug" "$T/bug.md" '["bug"]' >/dev/null
sleep 1.2	# the fake's since has second resolution
pm2=$(new_issue "Eviction storm" "$T/pm2.md" '["postmortem"]')
today=$(date -u +%F)

"$CL" init >/dev/null 2>&1 || fail "init"
expect_rc 0 "$CL" -v import
expect_in "$T/err" "2 files (2 parsed"
"$CL" list --all --json > "$T/list.json"
[ "$(jq_py 'len(d["items"])' < "$T/list.json")" = 3 ] || fail "want 3 items: $(cat "$T/list.json")"
jq_py '[i["postmortem"]["title"] for i in d["items"] if i["action"] == "Cap the cache size"][0]' < "$T/list.json" | grep -qx "Cache OOM" || fail "title from the issue"
jq_py '[i["postmortem"]["date"] for i in d["items"] if i["action"] == "Cap the cache size"][0]' < "$T/list.json" | grep -qx 2024-02-11 || fail "date from the body"
jq_py '[i["postmortem"]["date"] for i in d["items"] if i["action"] == "Alert on eviction rate"][0]' < "$T/list.json" | grep -qx "$today" || fail "date from the creation date: $(cat "$T/list.json")"
grep -q "Just a bug" "$T/list.json" && fail "an unlabelled issue was imported"
ok "labelled issues are post-mortems"

# --- sync: created once, the named issue linked --------------------------
expect_rc 0 "$CL" sync
cat "$T/out" "$T/err" > "$T/sync"
expect_in "$T/sync" "2 created"
expect_in "$T/sync" "1 linked"
issues=$(stat 'd["issues"]')
# the created issues carry the postmortem label too: never post-mortems
expect_rc 0 "$CL" -v import
expect_in "$T/err" "1 files (0 parsed, 1 unchanged"
ok "sync links and creates; closeloop's own issues and old ones are not listed again"

# --- an edited issue is read again; nothing duplicated -------------------
printf '%s\n' "- [ ] Page on eviction rate too — @bob, due 2024-04-10" >> "$T/pm2.md"
api PATCH "/repos/acme/ops/issues/$pm2" "$($PY -c 'import json,sys; print(json.dumps({"body": open(sys.argv[1]).read()}))' "$T/pm2.md")" >/dev/null
expect_rc 0 "$CL" -v import
expect_in "$T/err" "1 parsed"
[ "$("$CL" list --all --json | jq_py 'len(d["items"])')" = 4 ] || fail "edit: want 4 items"
expect_rc 0 "$CL" sync
expect_rc 0 "$CL" sync
[ "$(stat 'd["issues"]')" = $((issues + 1)) ] || fail "issues $(stat 'd["issues"]'), want $((issues + 1))"
stat 'd["markers"]' | jq_py 'max(d.values())' | grep -qx 1 || fail "duplicate marker: $(stat 'd["markers"]')"
ok "edited issue re-imported, synced without duplicates"

# --- GitLab: the same, against the fake GitLab ---------------------------
rm -f "$T/gl.port"
$PY "$ROOT/tests/helpers/fake_gitlab.py" --port-file "$T/gl.port" --token "$CL_TEST_TOKEN" \
    --project acme/ops --project-id 42 --max-seconds 900 2>"$T/gl.log" &
PIDS="$PIDS $!"
GL="http://127.0.0.1:$(wait_port "$T/gl.port")"
gl_issue() {
    FAKE=$GL api POST /api/v4/projects/42/issues "$($PY -c 'import json,sys; print(json.dumps({"title": sys.argv[1], "description": open(sys.argv[2]).read(), "labels": sys.argv[3]}))' "$1" "$2" "$3")" >/dev/null
}
cat > "$T/gl1.md" <<'MD'
Date: 2024-05-05

## Action items

| Action | Owner | Due |
|---|---|---|
| Shard the queue | bob | 2024-06-01 |
MD
gl_issue "Queue meltdown" "$T/gl1.md" "incident-review,sev1"
gl_issue "Queue meltdown (not labelled)" "$T/gl1.md" "bug"
cat >> "$T/config" <<CFG

[source "gitlab-incidents"]
kind = gitlab
url = $GL
project = acme/ops
label = incident-review
token_env = CL_TEST_TOKEN
CFG
expect_rc 0 "$CL" -v import
expect_in "$T/err" "1 parsed"
"$CL" list --all --json > "$T/list.json"
jq_py '[i["postmortem"]["title"] for i in d["items"] if i["action"] == "Shard the queue"]' < "$T/list.json" | grep -qx '\["Queue meltdown"\]' || fail "gitlab issue: $(cat "$T/list.json")"
jq_py '[i["postmortem"]["date"] for i in d["items"] if i["action"] == "Shard the queue"][0]' < "$T/list.json" | grep -qx 2024-05-05 || fail "gitlab date"
expect_rc 0 "$CL" -v import
expect_in "$T/err" "0 parsed"
[ "$(FAKE=$GL stat 'd["by_route"]')" != "" ] || fail "no requests to the fake GitLab"
expect_rc 0 "$CL" sync
expect_rc 0 "$CL" sync
stat 'd["markers"]' | jq_py 'max(d.values())' | grep -qx 1 || fail "duplicate marker"
ok "gitlab issues as post-mortems"
echo "t52: all passed"
