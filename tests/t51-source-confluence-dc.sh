#!/bin/sh
# Confluence Data Center as a source (tests/helpers/fake_confluence.py
# --flavor dc under the context path /confluence): Bearer personal access
# token, the space checked, CQL search with start/limit paging, the body
# with expand=body.storage,version,history, user keys and user names,
# incremental import by version, 401 → 77, unknown space → 66, bad CQL.
. "$(dirname "$0")/helpers/source-lib.sh"
bodies() { cstat 'd["by_route"].get("GET /rest/api/content/{n}", 0)'; }

start_fake
start_conf --flavor dc --context /confluence --max-limit 2
write_config github "$FAKE" acme/ops "
[source \"wiki\"]
kind = confluence
flavor = datacenter
url = $CONF/confluence/
space = OPS
label = postmortem
token_env = CL_CONF_TOKEN
limit = 25
retries = 1"
cat >> "$T/config" <<'CFG'
alice.confluence = 8a7f808a8f2b5c6d018f2b5c7e1a0001
bob.confluence = bob.roe
CFG
cadmin /_admin/space '{"key":"OPS","name":"Operations"}' >/dev/null
i=0
for t in "Disk full on db-3" "Expired DNS zone" "Pager storm" "Lost backups" "Cache stampede"; do
    i=$((i + 1))
    cat > "$T/p$i.xml" <<XML
<p><strong>Date:</strong> 2024-0$i-10</p>
<h2>Action items</h2>
<ac:task-list>
<ac:task><ac:task-status>incomplete</ac:task-status><ac:task-body>Fix $t for good <ac:link><ri:user ri:userkey="8a7f808a8f2b5c6d018f2b5c7e1a0001"/></ac:link> <time datetime="2024-0$i-28"/></ac:task-body></ac:task>
<ac:task><ac:task-status>incomplete</ac:task-status><ac:task-body>Review $t &amp; alerts <ac:link><ri:user ri:username="bob.roe"/></ac:link> <time datetime="2024-0$i-20"/> <ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">OPS-$i</ac:parameter></ac:structured-macro></ac:task-body></ac:task>
</ac:task-list>
XML
    cadmin /_admin/page "$(page_json OPS 300$i "$t" postmortem "$T/p$i.xml")" >/dev/null
done
cadmin /_admin/page "$(page_json OPS 3009 "Not a post-mortem" "" "$T/p1.xml")" >/dev/null

"$CL" init >/dev/null 2>&1 || fail "init"
cadmin /_admin/reset-counts >/dev/null
expect_rc 0 "$CL" -v import
"$CL" list --all --json > "$T/list.json" || fail "list"
n=$(jq_py 'len(d["items"])' < "$T/list.json")
[ "$n" = 10 ] || fail "want 10 items from 5 pages, got $n"
jq_py '[i["owner"] for i in d["items"] if i["action"].startswith("Fix Disk")][0]' < "$T/list.json" | grep -qx alice || fail "ri:userkey owner"
jq_py '[i["owner"] for i in d["items"] if i["action"].startswith("Review Disk")][0]' < "$T/list.json" | grep -qx bob || fail "ri:username owner: $(cat "$T/list.json")"
jq_py '[i["action"] for i in d["items"] if i["action"].startswith("Review Disk")][0]' < "$T/list.json" | grep -qx "Review Disk full on db-3 & alerts" || fail "entity in the action"
jq_py '[i["ticket"] for i in d["items"] if i["action"].startswith("Review Lost")][0]' < "$T/list.json" | grep -q "OPS-4" || fail "jira key"
# one space check, 3 search pages (limit capped at 2 by the server), 5 bodies
[ "$(cstat 'd["by_route"].get("GET /rest/api/space/OPS", 0)')" = 1 ] || fail "space: $(cstat 'd["by_route"]')"
[ "$(cstat 'd["by_route"].get("GET /rest/api/content/search", 0)')" = 3 ] || fail "start/limit paging: $(cstat 'd["by_route"]')"
[ "$(bodies)" = 5 ] || fail "bodies: $(bodies)"
expect_in "$T/err" "5 files (5 parsed"
# the url's trailing '/' is not part of a page's identity (lib/source.c
# drops it when the source is read)
q() { sqlite3 "$T/closeloop.db" "$1"; }
[ "$(q "select count(*) from postmortems where canon like '%//pages/%'")" = 0 ] ||
    fail "identity keeps the url's trailing '/': $(q 'select canon from postmortems')"
ok "first import (start/limit paging, user keys and names)"

cadmin /_admin/reset-counts >/dev/null
expect_rc 0 "$CL" -v import
[ "$(bodies)" = 0 ] || fail "unchanged pages read again"
[ "$(cstat 'd["requests"]')" = 4 ] || fail "unchanged space: $(cstat 'd["requests"]') requests, want 4"
ok "unchanged space: space check and listing only"

sed 's/for good/for good this time/' "$T/p3.xml" > "$T/p3b.xml"
cadmin /_admin/page "$(page_json OPS 3003 "Pager storm" postmortem "$T/p3b.xml")" >/dev/null
cadmin /_admin/reset-counts >/dev/null
expect_rc 0 "$CL" import
[ "$(bodies)" = 1 ] || fail "edited page: $(bodies) bodies"
"$CL" list --all --json | grep -q "Fix Pager storm for good this time" || fail "edit not imported"
# the item kept its id (same row, edited text)
[ "$("$CL" list --all --json | jq_py 'len(d["items"])')" = 10 ] || fail "an edit made a new item"
ok "edited page"

CL_CONF_TOKEN=nope expect_rc 77 "$CL" import
expect_in "$T/err" "HTTP 401"
sed 's/^space = OPS/space = GONE/' "$T/config" > "$T/config.gone"; chmod 600 "$T/config.gone"
expect_rc 66 "$CL" -c "$T/config.gone" import
expect_in "$T/err" "space 'GONE' not found"
ok "401 → 77, unknown space → 66"
echo "t51: all passed"
