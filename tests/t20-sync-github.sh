#!/bin/sh
# closeloop sync against the fake GitHub: push, link, record, per-item
# problems, pull (tracker wins for status/assignee), document wins for the
# action text, withdrawn → closed as not planned, dry run, cheap no-op sync,
# deleted tickets reported, 401 → 77, unknown repo → 78, token never shown.
. "$(dirname "$0")/helpers/sync-lib.sh"

start_fake
write_config github "$FAKE" acme/ops
mkdir -p "$T/pm"
# a ticket a person already opened, that the document names
api POST /repos/acme/ops/issues '{"title":"Runbook for failover (filed by hand)"}' >/dev/null
admin /_admin/reject '{"title_contains":"REJECTME"}' >/dev/null
admin /_admin/pull '{}' >/dev/null   # pull requests are listed too: must be skipped
cat > "$T/pm/db.md" <<'MD'
# Database failover stalled - 2024-03-01

Severity: SEV2

## Action items

| Action | Owner | Due | Ticket |
|--------|-------|-----|--------|
| Add replica lag alert | alice | 2024-04-01 | |
| Document failover runbook | bob | 2024-04-15 | #1 |
| Remove old backup job | alice | 2024-03-10 | **DONE** |
| Rotate the pager keys | bob | 2024-05-01 | #99 |
| Fix REJECTME in the schema | alice | 2024-05-02 | |
| Add disk space alerts | | 2024-05-03 | |
MD
"$CL" init >/dev/null 2>&1 || fail "init"
"$CL" import "$T/pm" >/dev/null 2>&1

# --- dry run: reads only, writes nothing --------------------------------
before=$(stat 'd["by_method"].get("POST",0)')
"$CL" sync --dry-run > "$T/plan" 2>&1 || fail "dry run failed: $(cat "$T/plan")"
grep -q "would create db.1: Add replica lag alert" "$T/plan" || fail "plan lacks create: $(cat "$T/plan")"
grep -q "would link db.2 → #1" "$T/plan" || fail "plan lacks link"
[ "$(stat 'd["by_method"].get("POST",0)')" = "$before" ] || fail "dry run created issues"
[ "$(stat 'd["by_method"].get("PATCH",0)')" = 0 ] || fail "dry run patched"
[ "$(sqlite3 "$T/closeloop.db" 'select count(*) from sync_items')" = 0 ] || fail "dry run wrote the db"
ok "dry run"

# --- first sync ---------------------------------------------------------
admin /_admin/reset-counts >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "sync exit $?: $(cat "$T/out")"
cat "$T/out"
grep -q "2 created" "$T/out" || fail "expected 2 created"
grep -q "1 linked" "$T/out" || fail "expected 1 linked"
[ "$(stat 'd["issues"]')" = 3 ] || fail "tracker holds $(stat 'd["issues"]') issues, want 3"
[ "$(stat 'd["markers"]')" = '{"db.1": 1, "db.6": 1}' ] || fail "markers $(stat 'd["markers"]')"
# two creates and the refused one
[ "$(stat 'd["by_method"]["POST"]')" = 3 ] || fail "creates: $(stat 'd["by_method"]')"
i2=$(stat '[i for i in d["list"] if "closeloop:db.1" in (i["body"] or "")][0]')
printf "%s\n" "$i2" | jq_py 'd["title"]' | grep -qx "Add replica lag alert" || fail "title"
printf "%s\n" "$i2" | jq_py '[l["name"] for l in d["labels"]]' | grep -qx '\["postmortem", "action-item"\]' || fail "labels"
printf "%s\n" "$i2" | jq_py 'd["assignee"]["login"]' | grep -qx alice-gh || fail "assignee"
printf "%s\n" "$i2" | jq_py 'd["body"]' | grep -q "Due: 2024-04-01" || fail "due not in body"
printf "%s\n" "$i2" | jq_py 'd["body"]' | grep -q "Post-mortem: Database failover stalled" || fail "pm in body"
n1=$(printf "%s\n" "$i2" | jq_py 'd["number"]')
item_json db.1 | jq_py 'd["ticket"]' | grep -qx "$n1" || fail "db.1 ticket"
item_json db.1 | jq_py 'd["url"]' | grep -q "/acme/ops/issues/$n1\$" || fail "db.1 url"
"$CL" list --json | jq_py '[i["ticket"] for i in d["items"] if i["id"]=="db.1"][0]' | grep -qx "$n1" \
    || fail "list --json lacks the ticket"
item_json db.2 | jq_py 'd["ticket"]' | grep -qx 1 || fail "db.2 not linked to #1"
item_json db.2 | jq_py '[h["field"] for h in d["history"] if h["origin"]=="sync"]' | grep -q ticket \
    || fail "no sync history row for the link"
# done when first seen: recorded, not pushed
item_json db.3 | jq_py 'd["ticket"]' | grep -qx None || fail "db.3 was pushed"
# per-item problems: recorded, run went on
sqlite3 "$T/closeloop.db" "select error from sync_items s join items i on i.id=s.item_id where i.key='db.4'" \
    | grep -q "#99.*not found" || fail "db.4 problem missing"
sqlite3 "$T/closeloop.db" "select error from sync_items s join items i on i.id=s.item_id where i.key='db.5'" \
    | grep -q "422" || fail "db.5 422 not recorded"
# and shown to people: show, list --json
item_json db.5 | jq_py 'd["sync_error"]' | grep -q "422" || fail "show --json: no sync_error"
"$CL" show db.4 | grep -q "^sync error:  .*not found" || fail "show: no sync error line"
"$CL" list --json | jq_py '[i["sync_error"] for i in d["items"] if i["id"]=="db.5"][0]' \
    | grep -q "422" || fail "list --json: no sync_error"
ok "first sync: creates, link, record, problems"

# --- no-op syncs are cheap ----------------------------------------------
"$CL" sync > "$T/out" 2>&1 || fail "second sync: $(cat "$T/out")"
grep -q "0 created" "$T/out" || fail "second sync created: $(cat "$T/out")"
# the second run fetched the validator for the new cursor: from now on 304
"$CL" sync > "$T/out" 2>&1 || fail "third sync"
admin /_admin/reset-counts >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "fourth sync"
req=$(stat 'd["requests"]')
echo "no-op sync: $req requests: $(stat 'd["by_route"]')"
[ "$req" -le 3 ] || fail "no-op sync cost $req requests (> 3): $(stat 'd["by_route"]')"
grep -q "not modified" "$T/out" || fail "no 304 on a no-op sync: $(cat "$T/out")"
[ "$(stat 'd["issues"]')" = 3 ] || fail "duplicates after resync"
ok "no-op sync: $req requests"

# --- pull: tracker wins for status and assignee -------------------------
n6=$(stat '[i["number"] for i in d["list"] if "closeloop:db.6" in (i["body"] or "")][0]')
admin "/_admin/issue/$n1" '{"state":"closed","state_reason":"completed"}' >/dev/null
admin "/_admin/issue/$n6" '{"assignee":"bob-gh"}' >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "pull sync: $(cat "$T/out")"
item_json db.1 | jq_py 'd["status"]' | grep -qx done || fail "closed in tracker but not done"
item_json db.1 | jq_py 'd["closed_at"]' | grep -q "T" || fail "no closed_at"
item_json db.1 | jq_py '[h["new"] for h in d["history"] if h["origin"]=="tracker" and h["field"]=="status"]' \
    | grep -q done || fail "no tracker history row for status"
item_json db.6 | jq_py 'd["owner"]' | grep -qx bob || fail "assignee did not flow back: $(item_json db.6 | jq_py 'd["owner"]')"
admin "/_admin/issue/$n1" '{"state":"open"}' >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "reopen sync"
item_json db.1 | jq_py 'd["status"]' | grep -qx open || fail "reopened in tracker but not open"
ok "pull: close, reopen, assignee"

# --- document wins for the action text -----------------------------------
admin "/_admin/issue/$n1" '{"title":"Edited by someone in the tracker"}' >/dev/null
sed -i 's/| Add replica lag alert | alice | 2024-04-01 |/| Add replica lag alert | alice | 2024-04-20 |/' "$T/pm/db.md"
"$CL" import "$T/pm" >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "doc edit sync"
stat "[i for i in d['list'] if i['number']==$n1][0]['title']" | grep -qx "Add replica lag alert" \
    || fail "title not restored: $(stat "[i for i in d['list'] if i['number']==$n1][0]['title']")"
stat "[i for i in d['list'] if i['number']==$n1][0]['body']" | grep -q "Due: 2024-04-20" \
    || fail "due date edit not pushed"
ok "document edits pushed, action text restored"

# --- withdrawn → closed as not planned ------------------------------------
sed -i '/Add disk space alerts/d' "$T/pm/db.md"
"$CL" import "$T/pm" >/dev/null 2>&1
item_json db.6 | jq_py 'd["status"]' | grep -qx withdrawn || fail "db.6 not withdrawn"
"$CL" sync > "$T/out" 2>&1 || fail "withdraw sync"
stat "[i for i in d['list'] if i['number']==$n6][0]['state']" | grep -qx closed || fail "withdrawn not closed"
stat "[i for i in d['list'] if i['number']==$n6][0]['state_reason']" | grep -qx not_planned || fail "not not_planned"
stat "[i for i in d['list'] if i['number']==$n6][0]['body']" | grep -q "withdrawn" || fail "no withdrawal note"
ok "withdrawn item closed as not planned"

# --- a deleted ticket is reported, not forgotten ---------------------------
# (closeloop's own issue: a ticket a document names, like #1, is never
# closed by closeloop, so its deletion goes unseen until someone looks)
admin "/_admin/issue/$n1" '{"deleted":true}' >/dev/null
"$CL" done db.1 >/dev/null 2>&1 || fail "done db.1"
"$CL" sync > "$T/out" 2>&1 || fail "sync with a deleted ticket failed: $(cat "$T/out")"
grep -q "db.1: .*#$n1.*deleted" "$T/out" || fail "deleted ticket not reported: $(cat "$T/out")"
sqlite3 "$T/closeloop.db" "select gone from sync_items s join items i on i.id=s.item_id where i.key='db.1'" \
    | grep -qx 410 || fail "gone status not kept"
ok "deleted ticket reported"

# --- token never shown, even in -vv traces --------------------------------
"$CL" -v -v sync > "$T/trace" 2>&1 || fail "traced sync"
grep -q "Authorization: \*\*\*" "$T/trace" || fail "no redacted auth line in the trace"
if grep -q "$CL_TEST_TOKEN" "$T/trace" "$T/out"; then fail "token leaked"; fi
if sqlite3 "$T/closeloop.db" .dump | grep -q "$CL_TEST_TOKEN"; then fail "token in the database"; fi
ok "token redacted"

# --- auth and config failures ---------------------------------------------
CL_TEST_TOKEN=wrong "$CL" sync > "$T/out" 2>&1; rc=$?
[ $rc = 77 ] || fail "bad token: exit $rc, want 77: $(cat "$T/out")"
grep -q "401" "$T/out" || fail "401 not explained"
if grep -q wrong "$T/out"; then fail "bad token printed"; fi
sed -i 's|^project = acme/ops|project = acme/nope|' "$T/config"
"$CL" sync > "$T/out" 2>&1; rc=$?
[ $rc = 78 ] || fail "unknown repo: exit $rc, want 78: $(cat "$T/out")"
ok "401 → 77, unknown repository → 78"
echo "t20: all passed"
