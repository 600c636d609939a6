#!/bin/sh
# Confluence Cloud as a source (tests/helpers/fake_confluence.py --flavor
# cloud): space and label look-up, cursor paging, storage format → items,
# messages without lines, incremental import by version (an unchanged space
# costs its listing and no bodies), a page edited while it is listed, 429
# with Retry-After, 401 → 77, unknown space → 66; then sync of the page's
# items to the fake GitHub, twice, without a duplicate.
. "$(dirname "$0")/helpers/source-lib.sh"
bodies() { cstat 'd["by_route"].get("GET /api/v2/pages/{n}", 0)'; }

start_fake
start_conf --flavor cloud
write_config github "$FAKE" acme/ops "
[source \"sre-wiki\"]
kind = confluence
flavor = cloud
url = $CONF
space = SRE
label = postmortem
user = sre-bot@example.com
token_env = CL_CONF_TOKEN
limit = 1
max_wait_s = 10
retries = 1"
cat >> "$T/config" <<'CFG'
alice.confluence = 557058:aaaa-1111
CFG

cadmin /_admin/space '{"key":"SRE","name":"Site reliability"}' >/dev/null
cp "$ROOT/tests/fixtures/storage/cloud-tasks.xml" "$T/p1.xml"
cat > "$T/p2.xml" <<'XML'
<p>Date: 2024-04-02</p><h2>Corrective actions</h2>
<table><tbody><tr><th>Action</th><th>Owner</th><th>Due</th></tr>
<tr><td>Rotate the &ldquo;edge&rdquo; certificates</td><td><ac:link><ri:user ri:account-id="557058:aaaa-1111"/></ac:link></td><td>2024-04-30</td></tr>
</tbody></table>
XML
cat > "$T/p3.xml" <<'XML'
<h1>Team offsite notes</h1><ac:task-list><ac:task><ac:task-status>incomplete</ac:task-status><ac:task-body>Book the room</ac:task-body></ac:task></ac:task-list>
XML
cadmin /_admin/page "$(page_json SRE 2001 'Checkout outage 2024-05-01' postmortem "$T/p1.xml")" >/dev/null
cadmin /_admin/page "$(page_json SRE 2002 'Edge TLS expiry' postmortem,sev2 "$T/p2.xml")" >/dev/null
cadmin /_admin/page "$(page_json SRE 2003 'Offsite' '' "$T/p3.xml")" >/dev/null

"$CL" init >/dev/null 2>&1 || fail "init"

# --- first import: every labelled page, nothing else --------------------
cadmin /_admin/reset-counts >/dev/null
"$CL" -v import > "$T/out" 2> "$T/err"
rc=$?
[ $rc -eq 0 ] || fail "import exit $rc: $(cat "$T/out" "$T/err")"
"$CL" list --all --json > "$T/list.json" || fail "list"
n=$(jq_py 'len(d["items"]) if isinstance(d, dict) else len(d)' < "$T/list.json")
[ "$n" = 6 ] || fail "want 6 items (5 from the outage page, 1 from the TLS page), got $n: $(cat "$T/list.json")"
grep -q "Book the room" "$T/list.json" && fail "an unlabelled page was imported"
items() { jq_py "[i for i in (d['items'] if isinstance(d, dict) else d) if $1]" < "$T/list.json"; }
items 'i["action"] == "Add an alert on 5xx rate"' | jq_py 'd[0]["owner"]' | grep -qx alice || fail "task owner from ri:user"
items 'i["action"] == "Add an alert on 5xx rate"' | jq_py 'd[0]["due"]' | grep -qx 2024-05-20 || fail "task due from <time>"
items 'i["action"] == "Roll back the | pipe config"' | jq_py 'd[0]["status"]' | grep -qx done || fail "complete task is done: $(cat "$T/list.json")"
items 'i["action"] == "Roll back the | pipe config"' | jq_py 'd[0]["ticket"]' | grep -q OPS-12 || fail "jira macro is the ticket: $(items 'i["action"] == "Roll back the | pipe config"')"
items 'i["action"] == "Write the *runbook*"' | jq_py 'd[0]["status"]' | grep -qx done || fail "status macro DONE marks done"
items 'i["action"] == "Rotate the “edge” certificates"' | jq_py 'd[0]["owner"]' | grep -qx alice || fail "table owner from ri:user"
# problems name page, URL and section; no line numbers
expect_in "$T/out" "Checkout outage 2024-05-01 ($CONF/wiki/spaces/SRE/pages/2001) › Action items: owner-unknown: owner '557058:ffff-9999' is not in [people]"
expect_in "$T/out" "Checkout outage 2024-05-01 ($CONF/wiki/spaces/SRE/pages/2001) › Action items: owner-missing:"
# one space, one label, 2 listing pages (limit 1), 2 bodies
[ "$(cstat 'd["by_route"].get("GET /api/v2/spaces", 0)')" = 1 ] || fail "space look-ups: $(cstat 'd["by_route"]')"
[ "$(cstat 'd["by_route"].get("GET /rest/api/label", 0)')" = 1 ] || fail "label look-ups"
[ "$(cstat 'd["by_route"].get("GET /api/v2/labels/{n}/pages", 0)')" = 2 ] || fail "cursor paging: $(cstat 'd["by_route"]')"
[ "$(bodies)" = 2 ] || fail "bodies read: $(bodies)"
slug=$("$CL" list --all --json | jq_py '[i["id"] for i in (d["items"] if isinstance(d, dict) else d) if i["action"] == "Add an alert on 5xx rate"][0]')
case "$slug" in checkout-outage-2024-05-01.*) ;; *) fail "post-mortem id from the title: $slug" ;; esac
ok "first import"

# --- unchanged space: the listing, no bodies ----------------------------
cadmin /_admin/reset-counts >/dev/null
expect_rc 0 "$CL" -v import
[ "$(bodies)" = 0 ] || fail "an unchanged page was read again ($(bodies) bodies)"
[ "$(cstat 'd["requests"]')" = 4 ] || fail "unchanged space cost $(cstat 'd["requests"]') requests, want 4 (space, label, 2 listing pages)"
expect_in "$T/err" "2 unchanged"
ok "unchanged space costs the listing only"

# --- lint reads the pages too, and says the same -------------------------
expect_rc 1 "$CL" lint sre-wiki
expect_in "$T/out" "Checkout outage 2024-05-01 ($CONF/wiki/spaces/SRE/pages/2001) › Action items: owner-unknown:"
ok "lint sre-wiki"

# --- one page edited: that body only ------------------------------------
sed 's/2024-04-30/2024-05-15/' "$T/p2.xml" > "$T/p2b.xml"
cadmin /_admin/page "$(page_json SRE 2002 'Edge TLS expiry' postmortem,sev2 "$T/p2b.xml")" >/dev/null
# a dry run reads it and writes nothing: the next import still sees the edit
expect_rc 0 "$CL" import --dry-run
"$CL" list --all --json | grep -q '"due": *"2024-05-15"' && fail "dry run wrote the edit"
cadmin /_admin/reset-counts >/dev/null
expect_rc 0 "$CL" import
[ "$(bodies)" = 1 ] || fail "edited page: $(bodies) bodies, want 1"
"$CL" list --all --json | grep -q '"due": *"2024-05-15"' || fail "edit not imported"
ok "edited page re-read alone"

# --- a page edited between two pages of the listing ---------------------
# a new page 1999 sorts first; it is edited before the second listing page
cat > "$T/p4.xml" <<'XML'
<h1>Action items</h1><table><tbody><tr><th>Action</th><th>Owner</th><th>Due</th></tr>
<tr><td>Alert on queue depth</td><td>@alice</td><td>2024-07-01</td></tr></tbody></table>
XML
sed 's/queue depth/queue depth and age/' "$T/p4.xml" > "$T/p4b.xml"
cadmin /_admin/page "$(page_json SRE 1999 'Queue backlog' postmortem "$T/p4.xml")" >/dev/null
cadmin /_admin/edit-while-listing "$($PY -c 'import json,sys; print(json.dumps({"page": 1999, "body": open(sys.argv[1]).read(), "on_request": 2}))' "$T/p4b.xml")" >/dev/null
cadmin /_admin/reset-counts >/dev/null
expect_rc 0 "$CL" import
[ "$(bodies)" = 1 ] || fail "new page: $(bodies) bodies"
"$CL" list --all --json | grep -q "Alert on queue depth and age" || fail "the body read is the edited one"
cadmin /_admin/reset-counts >/dev/null
expect_rc 0 "$CL" import
[ "$(bodies)" = 0 ] || fail "the version read with the body was not the one stored ($(bodies) bodies)"
[ "$("$CL" list --all --json | grep -c "Alert on queue depth")" = 1 ] || fail "duplicate item"
ok "page edited while listed: read once, at its newest version"

# --- 429 with Retry-After is waited for ---------------------------------
cadmin /_admin/faults '{"faults":[{"method":"GET","path":"/labels/","status":429,"retry_after":1,"times":1}]}' >/dev/null
cadmin /_admin/reset-counts >/dev/null
start=$(date +%s)
expect_rc 0 "$CL" import
[ $(( $(date +%s) - start )) -ge 1 ] || fail "Retry-After not waited for"
[ "$(cstat 'd["requests"]')" = 6 ] || fail "429: $(cstat 'd["requests"]') requests, want 5 (space, label, 3 listing pages) + 1 retry"
[ "$(cstat 'd["faulted"]')" = 1 ] || fail "the 429 was not served"
ok "429 Retry-After"

# --- 401 and an unknown space -------------------------------------------
CL_CONF_TOKEN=wrong expect_rc 77 "$CL" import
expect_in "$T/err" "rejected the credentials (HTTP 401)"
expect_not_in "$T/err" "conf-api-token"
sed 's/^space = SRE/space = NOPE/' "$T/config" > "$T/config.nope"
chmod 600 "$T/config.nope"
expect_rc 66 "$CL" -c "$T/config.nope" import
expect_in "$T/err" "space 'NOPE' not found"
ok "401 → 77, unknown space → 66"

# --- the page's items sync like any others, without duplicates -----------
expect_rc 0 "$CL" sync
created=$(stat 'd["issues"]')
[ "$created" -ge 3 ] || fail "sync created $created issues"
expect_rc 0 "$CL" import
expect_rc 0 "$CL" sync
[ "$(stat 'd["issues"]')" = "$created" ] || fail "second sync made $(stat 'd["issues"]') issues, had $created"
stat 'd["markers"]' | jq_py 'max(d.values())' | grep -qx 1 || fail "duplicate marker: $(stat 'd["markers"]')"
ok "sync: no duplicate"
echo "t50: all passed"
