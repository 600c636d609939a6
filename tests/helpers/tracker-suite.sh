# tracker-suite.sh — the sync behaviour suite every tracker backend passes
# (the same ground as t20 for GitHub): push with native fields, link by the
# document's reference, pull of status/assignee/due (tracker wins), document
# wins for the action text, withdrawn → closed with a comment, adoption after
# a SIGKILL during a stalled create (exactly one issue per item), bounded
# request counts for incremental pulls, a stranger's issue carrying an
# item's marker never adopted, an unchanged re-sync ≤ 3 requests and no
# writes while the tracker drops an assignee, faults (429 with and without
# headers, 5xx, 401 → 77, unknown project → 78), the token never shown.
#
# Sourced by tests/t3x-*.sh after tracker-lib.sh, with:
#   BACKEND     fake server name (tests/helpers/fake_$BACKEND.py)
#   FAKE_ARGS   its arguments
#   KIND        [tracker] kind;  PROJECT / BAD_PROJECT  [tracker] project
#   ALICE_T, BOB_T  the people's tracker handles
#   EXTRA_CFG   more [tracker] lines (may be empty)
#   REF_PREFIX  how a document names ticket ID ("#" or "")
#   CREATE_PATH a path substring of the create request (for faults)
#   HIDE_SEARCHES optional: the fake hides the killed create's issue from
#               that many searches (eventually consistent search)
#   before_rerun  optional shell function run before the post-kill rerun

start_fake "$BACKEND" $FAKE_ARGS
write_config "$KIND" "$FAKE" "$PROJECT" "$ALICE_T" "$BOB_T" "$EXTRA_CFG"
mkdir -p "$T/pm"
seed=$(admin /_admin/seed '{"title":"Runbook for failover (filed by hand)"}' | jq_py 'd["id"]')
admin /_admin/reject '{"title_contains":"REJECTME"}' >/dev/null
cat > "$T/pm/db.md" <<MD
# Database failover stalled - 2024-03-01

Severity: SEV2

## Action items

| Action | Owner | Due | Ticket |
|--------|-------|-----|--------|
| Add replica lag alert | alice | 2024-04-01 | |
| Document failover runbook | bob | 2024-04-15 | ${REF_PREFIX}${seed} |
| Remove old backup job | alice | 2024-03-10 | **DONE** |
| Fix REJECTME in the schema | alice | 2024-05-02 | |
| Add disk space alerts | bob | 2024-05-03 | |
MD
"$CL" init >/dev/null 2>&1 || fail "init"
"$CL" import "$T/pm" >/dev/null 2>&1
k1=$(key_of "Add replica lag alert")
k2=$(key_of "Document failover runbook")
k3=$(key_of "Remove old backup job")
k4=$(key_of "Fix REJECTME in the schema")
k5=$(key_of "Add disk space alerts")

# --- first sync: creates with native fields, link, record, refusal -------
admin /_admin/reset-counts >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "first sync exit $?: $(cat "$T/out")"
cat "$T/out"
grep -q "2 created" "$T/out" || fail "expected 2 created"
grep -q "1 linked" "$T/out" || fail "expected 1 linked"
[ "$(stat 'd["issues"]')" = 3 ] || fail "tracker holds $(stat 'd["issues"]') issues, want 3"
[ "$(issue_with "$k1" 'd["title"]')" = "Add replica lag alert" ] || fail "title: $(issue_with "$k1" 'd')"
[ "$(issue_with "$k1" 'sorted(d["labels"])')" = '["action-item", "postmortem"]' ] \
    || fail "labels: $(issue_with "$k1" 'd["labels"]')"
[ "$(issue_with "$k1" 'd["assignee"]')" = "$ALICE_T" ] || fail "assignee: $(issue_with "$k1" 'd["assignee"]')"
[ "$(issue_with "$k1" 'd["due"]')" = 2024-04-01 ] || fail "native due: $(issue_with "$k1" 'd["due"]')"
[ "$(issue_with "$k5" 'd["assignee"]')" = "$BOB_T" ] || fail "assignee of $k5"
issue_with "$k1" 'd["body"]' | grep -q "Post-mortem: Database failover stalled" || fail "pm not in body"
if issue_with "$k1" 'd["body"]' | grep -q "^Due:"; then fail "due date in the body of a tracker with due dates"; fi
id1=$(issue_with "$k1" 'd["id"]')
id5=$(issue_with "$k5" 'd["id"]')
item_json "$k1" | jq_py 'd["ticket"]' | grep -qx "$id1" || fail "$k1 ticket"
item_json "$k1" | jq_py 'd["url"]' | grep -q "$id1" || fail "$k1 url: $(item_json "$k1" | jq_py 'd["url"]')"
item_json "$k2" | jq_py 'd["ticket"]' | grep -qx "$seed" || fail "$k2 not linked to $seed"
# the hand-filed ticket had no due date: the document's fills it, not erased
item_json "$k2" | jq_py 'd["due"]' | grep -qx "2024-04-15" || fail "$k2 lost its due date on link"
item_json "$k3" | jq_py 'd["ticket"]' | grep -qx None || fail "$k3 (done) was pushed"
sqlite3 "$T/closeloop.db" "select error from sync_items s join items i on i.id=s.item_id where i.key='$k4'" \
    | grep -q "HTTP 4" || fail "$k4 refusal not recorded"
[ "$(stat 'len(d["refusals"])')" = 1 ] || fail "requests refused by the fake: $(stat 'd["refusals"]')"
ok "first sync: created with title/labels/assignee/due, linked, recorded, refusal kept"

# --- no-op syncs are cheap -------------------------------------------------
"$CL" sync > "$T/out" 2>&1 || fail "second sync: $(cat "$T/out")"
grep -q "0 created" "$T/out" || fail "second sync created: $(cat "$T/out")"
admin /_admin/reset-counts >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "third sync"
req=$(stat 'd["requests"]')
echo "no-op sync: $req requests ($(stat 'd["by_route"]'))"
[ "$req" -le 3 ] || fail "no-op sync cost $req requests (> 3): $(stat 'd["by_route"]')"
[ "$(requests_of)" = "$req" ] || fail "sync counted $(requests_of) requests, the tracker saw $req"
[ "$(stat 'd["issues"]')" = 3 ] || fail "duplicates after resync"
ok "no-op sync: $req requests"

# --- pull: tracker wins for status, assignee and due -----------------------
admin "/_admin/issue/$id1" '{"state":"closed"}' >/dev/null
admin "/_admin/issue/$id5" "{\"assignee\":\"$ALICE_T\",\"due\":\"2024-06-01\"}" >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "pull sync: $(cat "$T/out")"
item_json "$k1" | jq_py 'd["status"]' | grep -qx done || fail "closed in tracker but not done: $(cat "$T/out")"
item_json "$k1" | jq_py 'd["closed_at"]' | grep -q "T" || fail "no closed_at"
item_json "$k5" | jq_py 'd["owner"]' | grep -qx alice || fail "assignee did not flow back: $(item_json "$k5" | jq_py 'd["owner"]')"
item_json "$k5" | jq_py 'd["due"]' | grep -qx 2024-06-01 || fail "due did not flow back: $(item_json "$k5" | jq_py 'd["due"]')"
admin "/_admin/issue/$id1" '{"state":"open"}' >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "reopen sync"
item_json "$k1" | jq_py 'd["status"]' | grep -qx open || fail "reopened in tracker but not open"
[ "$(issue_with "$k5" 'd["assignee"]')" = "$ALICE_T" ] || fail "pulled assignee pushed back wrong"
ok "pull: close, reopen, assignee, due"

# --- local changes pushed; document wins for the action text ---------------
admin "/_admin/issue/$id1" '{"title":"Edited by someone in the tracker"}' >/dev/null
sed -i 's/| Add replica lag alert | alice | 2024-04-01 |/| Add replica lag alert | bob | 2024-04-20 |/' "$T/pm/db.md"
"$CL" import "$T/pm" >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "doc edit sync: $(cat "$T/out")"
[ "$(issue_with "$k1" 'd["title"]')" = "Add replica lag alert" ] || fail "title not restored: $(issue_with "$k1" 'd["title"]')"
[ "$(issue_with "$k1" 'd["due"]')" = 2024-04-20 ] || fail "due edit not pushed: $(issue_with "$k1" 'd["due"]')"
[ "$(issue_with "$k1" 'd["assignee"]')" = "$BOB_T" ] || fail "owner edit not pushed: $(issue_with "$k1" 'd["assignee"]')"
"$CL" done "$k1" >/dev/null 2>&1 || fail "done $k1"
"$CL" sync > "$T/out" 2>&1 || fail "close sync: $(cat "$T/out")"
[ "$(issue_with "$k1" 'd["state"]')" = closed ] || fail "done item not closed in the tracker"
ok "document edits pushed (title, due, assignee, close)"

# --- withdrawn → closed with a comment --------------------------------------
sed -i '/Add disk space alerts/d' "$T/pm/db.md"
"$CL" import "$T/pm" >/dev/null 2>&1
item_json "$k5" | jq_py 'd["status"]' | grep -qx withdrawn || fail "$k5 not withdrawn"
"$CL" sync > "$T/out" 2>&1 || fail "withdraw sync: $(cat "$T/out")"
[ "$(issue_with "$k5" 'd["state"]')" = closed ] || fail "withdrawn not closed"
issue_with "$k5" '"\n".join(d["comments"])' | grep -q "withdrawn" || fail "no withdrawal comment: $(issue_with "$k5" 'd["comments"]')"
ok "withdrawn item closed with a comment"

# --- SIGKILL during a stalled create: adopted, never duplicated -------------
cat >> "$T/pm/db.md" <<'MD'
| Page the DBA on replica lag | alice | 2024-06-10 | |
MD
"$CL" import "$T/pm" >/dev/null 2>&1
k6=$(key_of "Page the DBA on replica lag")
posts=$(stat 'd["by_method"].get("POST",0)')
# a tracker whose search lags hides the new issue from the next searches
[ -n "${HIDE_SEARCHES:-}" ] && admin /_admin/hide-new "{\"searches\":$HIDE_SEARCHES}" >/dev/null
admin /_admin/faults "{\"faults\":[{\"method\":\"POST\",\"path\":\"$CREATE_PATH\",\"stall\":30,\"times\":1}]}" >/dev/null
"$CL" sync > "$T/killed" 2>&1 &
clpid=$!
i=0
while [ "$(stat 'd["by_method"].get("POST",0)')" = "$posts" ]; do
    i=$((i + 1)); [ $i -gt 150 ] && { kill -9 $clpid; fail "the create never reached the tracker"; }
    sleep 0.1
done
kill -9 $clpid; wait $clpid 2>/dev/null
[ -n "${HIDE_SEARCHES:-}" ] && admin /_admin/hide-new '{"searches":0}' >/dev/null
[ "$(issue_with "$k6" 'd["id"]')" != "NOT-EXACTLY-ONE(0)" ] || fail "the stalled create did not make the issue"
sqlite3 "$T/closeloop.db" "select s.intent_at is not null and s.ticket is null from sync_items s join items i on i.id=s.item_id where i.key='$k6'" \
    | grep -qx 1 || fail "no pending intent after the kill"
if command -v before_rerun >/dev/null 2>&1; then before_rerun; fi
"$CL" sync > "$T/out" 2>&1 || fail "rerun after kill: $(cat "$T/out")"
cat "$T/out"
grep -q "1 adopted" "$T/out" || fail "not adopted: $(cat "$T/out")"
issue_with "$k6" 'd["id"]' | grep -q NOT && fail "after rerun: $(issue_with "$k6" 'd["id"]') issues for $k6"
item_json "$k6" | jq_py 'd["ticket"]' | grep -qx "$(issue_with "$k6" 'd["id"]')" || fail "$k6 not linked"
"$CL" sync > "$T/out" 2>&1 || fail "sync after adoption"
issue_with "$k6" 'd["id"]' | grep -q NOT && fail "duplicate after a further sync"
ok "SIGKILL during a stalled create: one issue, adopted"

# --- a stranger's issue carrying an item's marker line is never adopted ------
cat >> "$T/pm/db.md" <<'MD'
| Rotate the replication credentials | alice | 2024-06-11 | |
MD
"$CL" import "$T/pm" >/dev/null 2>&1
k10=$(key_of "Rotate the replication credentials")
ident=$(sqlite3 "$T/closeloop.db" "SELECT tracker FROM sync_items WHERE ticket IS NOT NULL LIMIT 1")
# a create intent whose answer was lost (as after a kill), and someone's
# issue with the exact marker line: the tracker says who filed it
sqlite3 "$T/closeloop.db" "INSERT INTO sync_items (item_id, tracker, intent_at) SELECT id, '$ident', strftime('%Y-%m-%dT%H:%M:%SZ','now') FROM items WHERE key = '$k10'"
stranger=$(admin /_admin/seed "{\"title\":\"Rotate the replication credentials\",\"body\":\"<!-- closeloop:$k10 -->\"}" | jq_py 'd["id"]')
"$CL" sync > "$T/out" 2>&1 || fail "sync with a stranger's marker: $(cat "$T/out")"
grep -q "^adopted" "$T/out" && fail "a stranger's issue was adopted: $(cat "$T/out")"
grep -q "1 created" "$T/out" || fail "own issue not created: $(cat "$T/out")"
t10=$(item_json "$k10" | jq_py 'd["ticket"]')
[ -n "$t10" ] && [ "$t10" != None ] && [ "$t10" != "$stranger" ] || fail "$k10 linked to $t10 (stranger: $stranger)"
ok "a stranger's issue with an item's marker line: not adopted, own issue created"

# --- incremental pulls: bounded request counts ------------------------------
{
    printf '# Bulk incident - 2024-03-05\n\n## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n'
    i=1
    while [ $i -le 120 ]; do printf '| Bulk task %03d | alice | 2024-07-01 |\n' $i; i=$((i + 1)); done
} > "$T/pm/bulk.md"
"$CL" import "$T/pm" >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "bulk sync: $(cat "$T/out")"
grep -q "120 created" "$T/out" || fail "bulk: $(cat "$T/out")"
echo "bulk create of 120: $(requests_of) requests"
admin /_admin/reset-counts >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "no-op sync with 125 issues"
req=$(stat 'd["requests"]')
echo "no-op sync, 125 issues: $req requests"
[ "$req" -le 3 ] || fail "no-op sync cost $req requests (> 3): $(stat 'd["by_route"]')"
ids=$(stat '[i["id"] for i in d["list"] if (i["title"] or "").startswith("Bulk task")][:110]')
admin /_admin/act "{\"ids\":$ids,\"set\":{\"state\":\"closed\"}}" | grep -q '"changed": 110' || fail "act"
admin /_admin/reset-counts >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "pull of 110 changes: $(cat "$T/out")"
req=$(stat 'd["requests"]')
echo "110 changed: $req requests ($(stat 'd["by_route"]'))"
[ "$req" -le 5 ] || fail "110 changes cost $req requests (> 3 + ceil(110/100))"
done=$("$CL" list --all --json | jq_py 'len([i for i in d["items"] if i["action"].startswith("Bulk task") and i["status"]=="done"])')
[ "$done" = 110 ] || fail "$done bulk items done, want 110"
ids=$(stat '[i["id"] for i in d["list"] if (i["title"] or "").startswith("Bulk task")][110:113]')
admin /_admin/act "{\"ids\":$ids,\"set\":{\"due\":\"2024-08-01\"}}" >/dev/null
admin /_admin/reset-counts >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "pull of 3 changes"
req=$(stat 'd["requests"]')
echo "3 changed: $req requests ($(stat 'd["by_route"]'))"
[ "$req" -le 4 ] || fail "3 changes cost $req requests (> 3 + 1)"
[ "$("$CL" list --all --json | jq_py 'len([i for i in d["items"] if i["action"].startswith("Bulk task") and i["due"]=="2024-08-01"])')" = 3 ] \
    || fail "3 due dates not pulled"
ok "incremental pulls: bounded request counts"

# --- a tracker that drops an assignee: the sync settles ---------------------
# (GitLab drops a user who is not a project member, GitHub one without push
# access: silently; the document did not change, so nothing is sent again)
admin /_admin/drop-assignee "{\"handles\":[\"$BOB_T\"]}" >/dev/null
cat >> "$T/pm/db.md" <<'MD'
| Graph replica lag per shard | bob | 2024-06-12 | |
| Alert on WAL archive gaps | bob | 2024-06-13 | |
MD
"$CL" import "$T/pm" >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "sync with dropped assignees: $(cat "$T/out")"
grep -q "2 created" "$T/out" || fail "dropped assignees: $(cat "$T/out")"
"$CL" sync > "$T/out" 2>&1 || fail "resync with dropped assignees: $(cat "$T/out")"
admin /_admin/reset-counts >/dev/null
"$CL" sync > "$T/out" 2>&1 || fail "resync with dropped assignees: $(cat "$T/out")"
req=$(stat 'd["requests"]')
writes=$(stat 'sum(v for k, v in d["by_method"].items() if k != "GET")')
echo "unchanged re-sync, tracker dropped 2 assignees: $req requests ($(stat 'd["by_route"]'))"
[ "$req" -le 3 ] || fail "unchanged re-sync cost $req requests (> 3): $(stat 'd["by_route"]')"
[ "$writes" = 0 ] || fail "unchanged re-sync wrote $writes times: $(stat 'd["by_route"]')"
# the document changes the owner: that is pushed once
sed -i 's/| Graph replica lag per shard | bob |/| Graph replica lag per shard | alice |/' "$T/pm/db.md"
"$CL" import "$T/pm" >/dev/null 2>&1
"$CL" sync > "$T/out" 2>&1 || fail "owner change sync: $(cat "$T/out")"
[ "$(issue_with "$(key_of "Graph replica lag per shard")" 'd["assignee"]')" = "$ALICE_T" ] ||
    fail "owner change not pushed: $(cat "$T/out")"
admin /_admin/drop-assignee '{"handles":[]}' >/dev/null
ok "a dropped assignee is not re-sent: unchanged re-sync $req requests, no writes"

# --- faults ------------------------------------------------------------------
fault() { admin /_admin/faults "{\"clear\":true,\"faults\":[$1]}" >/dev/null; }
fault '{"method":"GET","status":429,"retry_after":1,"times":1}'
"$CL" sync > "$T/out" 2>&1 || fail "429 with Retry-After not survived: $(cat "$T/out")"
fault '{"method":"GET","status":429,"times":1}'
"$CL" sync > "$T/out" 2>&1 || fail "429 without headers not retried: $(cat "$T/out")"
fault '{"method":"GET","status":502,"times":2}'
"$CL" sync > "$T/out" 2>&1 || fail "two 502s not retried: $(cat "$T/out")"
[ "$(stat 'd["faulted"]')" -ge 4 ] || fail "faults not served: $(stat 'd["faulted"]')"
fault '{"method":"GET","status":503,"times":50}'
"$CL" sync > "$T/out" 2>&1; rc=$?
[ $rc = 75 ] || fail "persistent 503: exit $rc, want 75: $(cat "$T/out")"
fault ''
ok "429 (with and without Retry-After), 502 retried; persistent 503 → 75"
cat >> "$T/pm/db.md" <<'MD'
| Alert on stuck failover | bob | 2024-06-20 | |
| Drill the failover monthly | bob | 2024-06-21 | |
MD
"$CL" import "$T/pm" >/dev/null 2>&1
k7=$(key_of "Alert on stuck failover")
k8=$(key_of "Drill the failover monthly")
fault "{\"method\":\"POST\",\"path\":\"$CREATE_PATH\",\"status\":429,\"retry_after\":1,\"times\":1}"
"$CL" sync > "$T/out" 2>&1 || fail "429 on create: $(cat "$T/out")"
[ "$(issue_with "$k7" 'd["id"]' | grep -c NOT)" = 0 ] || fail "429 on create: $(issue_with "$k7" 'd["id"]')"
[ "$(issue_with "$k8" 'd["id"]' | grep -c NOT)" = 0 ] || fail "429 on create: $(issue_with "$k8" 'd["id"]')"
cat >> "$T/pm/db.md" <<'MD'
| Rehearse the restore | bob | 2024-06-22 | |
MD
"$CL" import "$T/pm" >/dev/null 2>&1
k9=$(key_of "Rehearse the restore")
fault "{\"method\":\"POST\",\"path\":\"$CREATE_PATH\",\"status\":502,\"times\":1}"
"$CL" sync > "$T/out" 2>&1; rc=$?
[ $rc = 75 ] || fail "502 on create: exit $rc, want 75 (a POST is never retried blindly): $(cat "$T/out")"
"$CL" sync > "$T/out" 2>&1 || fail "rerun after a 502 on create: $(cat "$T/out")"
[ "$(issue_with "$k9" 'd["id"]' | grep -c NOT)" = 0 ] || fail "after 502 + rerun: $(issue_with "$k9" 'd["id"]')"
ok "429 on create retried, 502 on create → 75 then one issue on rerun"

# --- token never shown, even in -vv traces --------------------------------
"$CL" -v -v sync > "$T/trace" 2>&1 || fail "traced sync: $(tail -5 "$T/trace")"
if grep -q "$CL_TEST_TOKEN" "$T/trace" "$T/out"; then fail "token leaked in a trace"; fi
if sqlite3 "$T/closeloop.db" .dump | grep -q "$CL_TEST_TOKEN"; then fail "token in the database"; fi
grep -q '\*\*\*' "$T/trace" || fail "no redacted header in the trace"
ok "token redacted"

# --- auth and config failures ------------------------------------------------
CL_TEST_TOKEN=wrong-token "$CL" sync > "$T/out" 2>&1; rc=$?
[ $rc = 77 ] || fail "bad token: exit $rc, want 77: $(cat "$T/out")"
grep -q "401" "$T/out" || fail "401 not explained: $(cat "$T/out")"
if grep -q wrong-token "$T/out"; then fail "bad token printed"; fi
sed -i "s|^project = .*|project = $BAD_PROJECT|" "$T/config"
"$CL" sync > "$T/out" 2>&1; rc=$?
[ $rc = 78 ] || fail "unknown project: exit $rc, want 78: $(cat "$T/out")"
ok "401 → 77, unknown project → 78"
