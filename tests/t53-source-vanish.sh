#!/bin/sh
# Documents that vanish from a configured [source] (issue 13): a Confluence
# page deleted, unlabelled or moved out of the space (fake Confluence Cloud
# and Data Center), a tracker issue that lost its label or was deleted
# (fake GitHub, fake GitLab). Each is reported (-v import, status) from the
# first complete listing that lacks it; a failed listing or an incremental
# one marks nothing; one that comes back within [import] missing_days keeps
# its items and tickets; one gone for good has its open items withdrawn
# after missing_days (never on the first run it is missing) and its tickets
# closed as not planned on the fake GitHub, with no duplicate anywhere.
. "$(dirname "$0")/helpers/source-lib.sh"

start_fake
start_conf --flavor cloud
later() { $PY -c "import datetime,sys; print((datetime.datetime.utcnow()+datetime.timedelta(hours=float(sys.argv[1]))).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$1"; }
day() { later $(($1 * 24)); }
q() { sqlite3 "$DB" "$1"; }
posts() { stat 'd["by_method"].get("POST",0)'; }
closed_np() { stat "len([i for i in d['list'] if i['state'] == 'closed' and i.get('state_reason') == 'not_planned'])"; }
# missing TITLE: 1 when the post-mortem of that title is marked missing
missing() { q "select missing_since is not null from postmortems where title = '$1'"; }
withdrawn() { q "select count(*) from items i join postmortems p on p.id = i.postmortem_id where p.title = '$1' and i.status = 'withdrawn'"; }
no_dups() {
    [ "$(q "select count(*) from (select postmortem_id, norm from items group by 1, 2 having count(*) > 1)")" = 0 ] ||
        fail "$1: duplicate items: $(q 'select key, action from items')"
    [ "$(q "select count(*) from postmortems where title = '$2'")" = 1 ] || fail "$1: '$2' twice"
    stat 'd["markers"]' | jq_py 'max(list(d.values()) or [1])' | grep -qx 1 ||
        fail "$1: duplicate tickets: $(stat 'd["markers"]')"
}
# a storage-format page with two action items
xml() {
    printf '<p>Date: 2024-03-01</p><h2>Action items</h2><table><tbody><tr><th>Action</th><th>Owner</th><th>Due</th></tr>'
    printf '<tr><td>%s one</td><td>@alice</td><td>2024-04-01</td></tr><tr><td>%s two</td><td>@bob</td><td>2024-04-02</td></tr></tbody></table>\n' "$1" "$1"
}
md() { printf 'Date: 2024-03-01\n\n## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n| %s one | alice | 2024-04-01 |\n| %s two | bob | 2024-04-02 |\n' "$1" "$1"; }
# vanish_for_good TITLE WHAT: the rest of a source's story, once TITLE is gone
vanish_for_good() {
    before=$(posts); np=$(closed_np)
    CLOSELOOP_NOW=$(day 20) expect_rc 0 "$CL" -v import
    expect_in "$T/err" "missing from its source since"
    [ "$(withdrawn "$1")" = 0 ] || fail "$2: withdrawn on the first run it is missing"
    CLOSELOOP_NOW=$(day 30) expect_rc 0 "$CL" import
    [ "$(withdrawn "$1")" = 0 ] || fail "$2: withdrawn before missing_days"
    CLOSELOOP_NOW=$(day 35) expect_rc 0 "$CL" -v import
    [ "$(withdrawn "$1")" = 2 ] || fail "$2: not withdrawn after missing_days: $(cat "$T/err")"
    expect_in "$T/err" "open items withdrawn"
    expect_rc 0 "$CL" sync
    [ "$(closed_np)" = $((np + 2)) ] || fail "$2: tickets not closed as not planned ($(closed_np), had $np)"
    [ "$(posts)" = "$before" ] || fail "$2: new issues filed"
    expect_rc 0 "$CL" sync
    [ "$(posts)" = "$before" ] || fail "$2: second sync filed issues"
    no_dups "$2" "$1"
}
# use_db NAME: a fresh database for the next source (time starts again)
use_db() {
    DB="$T/$1.db"
    sed -i "s|^database = .*|database = $DB|" "$T/config"
    "$CL" init >/dev/null 2>&1 || fail "init $1"
}

# === Confluence Cloud =====================================================
write_config github "$FAKE" acme/ops "
[import]
missing_days = 14

[source \"sre-wiki\"]
kind = confluence
flavor = cloud
url = $CONF
space = SRE
label = postmortem
user = sre-bot@example.com
token_env = CL_CONF_TOKEN
limit = 1
max_wait_s = 5
retries = 1"
use_db cloud
lbody() { cstat 'd["by_route"].get("GET /api/v2/pages/{n}", 0)'; }
cadmin /_admin/space '{"key":"SRE","name":"Site reliability"}' >/dev/null
cadmin /_admin/space '{"key":"ARCHIVE","name":"Old things"}' >/dev/null
i=0
for t in "Cloud alpha" "Cloud beta" "Cloud gamma" "Cloud delta"; do
    i=$((i + 1)); xml "$t" > "$T/c$i.xml"
    cadmin /_admin/page "$(page_json SRE 200$i "$t" postmortem "$T/c$i.xml")" >/dev/null
done
expect_rc 0 "$CL" import
expect_rc 0 "$CL" sync
[ "$(stat 'd["issues"]')" = 8 ] || fail "cloud: $(stat 'd["issues"]') tickets, want 8"
[ "$(q "select count(*) from postmortems where listed_by = 'sre-wiki'")" = 4 ] || fail "listed_by not recorded: $(q 'select title, listed_by from postmortems')"

# unlabelled: missing from the next listing, which costs what it always does
cadmin /_admin/labels '{"page": 2002, "labels": []}' >/dev/null
cadmin /_admin/reset-counts >/dev/null
expect_rc 0 "$CL" -v import
expect_in "$T/err" "missing from its source since"
expect_in "$T/err" "cloud-beta"
[ "$(missing "Cloud beta")" = 1 ] || fail "unlabelled page not missing"
[ "$(missing "Cloud alpha")" = 0 ] || fail "a listed page is missing"
[ "$(cstat 'd["requests"]')" = 5 ] || fail "listing cost $(cstat 'd["requests"]') requests, want 5 (space, label, 3 pages): $(cstat 'd["by_route"]')"
[ "$(lbody)" = 0 ] || fail "bodies read"
expect_rc 0 "$CL" status
grep -A3 "Post-mortems missing from their source" "$T/out" | grep -q cloud-beta || fail "status lacks it: $(cat "$T/out")"
"$CL" status --json | jq_py '[m["id"] for m in d["missing"]]' | grep -q cloud-beta || fail "status --json lacks it"
"$CL" report > "$T/report" 2>&1 || fail "report: $(cat "$T/report")"
grep -A3 "Post-mortems missing from their source" "$T/report" | grep -q cloud-beta || fail "the report lacks it: $(cat "$T/report")"
"$CL" -v run > "$T/run" 2>&1
grep -q "1 post-mortem missing from their source" "$T/run" || fail "-v run lacks it: $(cat "$T/run")"
ok "cloud: an unlabelled page is missing, the listing costs no more"

# a listing that fails on its second page marks nothing, even days later
cadmin /_admin/trash '{"page": 2003}' >/dev/null
cadmin /_admin/faults '{"faults":[{"method":"GET","path":"/labels/","query":"cursor","status":500,"times":2}]}' >/dev/null
CLOSELOOP_NOW=$(day 15) "$CL" import > "$T/out" 2>&1 && fail "a failed listing exits 0"
[ "$(missing "Cloud gamma")" = 0 ] || fail "a failed listing marked a page missing"
[ "$(withdrawn "Cloud beta")" = 0 ] || fail "a failed listing retired a page"
[ "$(cstat 'd["faulted"]')" = 2 ] || fail "the faults were not served: $(cstat 'd["faulted"]')"
# a listing cut short (its next link points at another site, not followed)
# marks nothing either
cadmin /_admin/next-origin "{\"origin\": \"http://localhost:${CONF##*:}\"}" >/dev/null
cadmin /_admin/reset-counts >/dev/null
CLOSELOOP_NOW=$(day 15) "$CL" import > "$T/out" 2>&1
[ "$(missing "Cloud gamma")" = 0 ] || fail "a listing cut short marked a page missing"
[ "$(missing "Cloud delta")" = 0 ] || fail "a listing cut short marked a page missing"
[ "$(cstat 'd["by_route"].get("GET /api/v2/labels/{n}/pages", 0)')" = 1 ] || fail "the other site's next link was followed: $(cstat 'd["by_route"]')"
cadmin /_admin/next-origin '{"origin": ""}' >/dev/null
ok "cloud: a failed listing, or one cut short, marks nothing"

# back within missing_days: items, ids and tickets kept
cadmin /_admin/labels '{"page": 2002, "labels": ["postmortem"]}' >/dev/null
cadmin /_admin/trash '{"page": 2003, "restore": true}' >/dev/null
before=$(posts)
expect_rc 0 "$CL" -v import
[ "$(missing "Cloud beta")" = 0 ] || fail "relabelled page still missing"
expect_not_in "$T/err" "missing from its source"
[ "$(q "select count(*) from items where status = 'open'")" = 8 ] || fail "items lost: $(q 'select key, status from items')"
expect_rc 0 "$CL" sync
[ "$(stat "len([i for i in d['list'] if i['state'] == 'closed'])")" = 0 ] || fail "cloud: a ticket was closed"
[ "$(posts)" = "$before" ] || fail "cloud: return filed issues"
no_dups "cloud return" "Cloud beta"
ok "cloud: vanish and return within missing_days"

# moved out of the space: missing
cadmin /_admin/move '{"page": 2001, "space": "ARCHIVE"}' >/dev/null
expect_rc 0 "$CL" import
[ "$(missing "Cloud alpha")" = 1 ] || fail "a page moved out of the space is not missing"
ok "cloud: a page moved out of the space is missing"

# deleted for good
cadmin /_admin/move '{"page": 2001, "space": "SRE"}' >/dev/null
expect_rc 0 "$CL" import
[ "$(missing "Cloud alpha")" = 0 ] || fail "moved back, still missing"
cadmin /_admin/trash '{"page": 2003}' >/dev/null
vanish_for_good "Cloud gamma" "cloud"
ok "cloud: a deleted page is withdrawn after missing_days, tickets closed"

# moved from one configured space (source) to another: the same post-mortem
# (its identity is the site + page id, not the space), nothing withdrawn,
# no new ticket
cat >> "$T/config" <<CFG

[source "archive-wiki"]
kind = confluence
flavor = cloud
url = $CONF
space = ARCHIVE
label = postmortem
user = sre-bot@example.com
token_env = CL_CONF_TOKEN
retries = 1
CFG
xml "Cloud epsilon" > "$T/c5.xml"
cadmin /_admin/page "$(page_json SRE 2005 "Cloud epsilon" postmortem "$T/c5.xml")" >/dev/null
CLOSELOOP_NOW=$(day 36) expect_rc 0 "$CL" import
CLOSELOOP_NOW=$(day 36) expect_rc 0 "$CL" sync
pm_of() { q "select slug || ' ' || id from postmortems where title = 'Cloud epsilon'"; }
keys_of() { q "select group_concat(i.key || '=' || coalesce(i.ticket, ''), ' ') from items i join postmortems p on p.id = i.postmortem_id where p.title = 'Cloud epsilon' order by i.key"; }
pm0=$(pm_of); keys0=$(keys_of); before=$(posts); np=$(closed_np)
[ -n "$pm0" ] && [ "$(q "select listed_by from postmortems where title = 'Cloud epsilon'")" = sre-wiki ] ||
    fail "move: not imported from sre-wiki: $(q 'select title, listed_by from postmortems')"
# a database from before migration 0012, whose Cloud identities hold the
# space key: migrated, not duplicated
[ "$(q 'pragma user_version')" -ge 12 ] || fail "move: schema $(q 'pragma user_version')"
q "update postmortems set canon = source where canon like '%/pages/viewpage.action?pageId=%'; pragma user_version = 11"
npm=$(q "select count(*) from postmortems")
cadmin /_admin/move '{"page": 2005, "space": "ARCHIVE"}' >/dev/null
CLOSELOOP_NOW=$(day 37) expect_rc 0 "$CL" -v import
no_dups "move" "Cloud epsilon"
[ "$(q "select count(*) from postmortems")" = "$npm" ] || fail "move: $(q 'select title, canon from postmortems')"
[ "$(q "select count(*) from postmortems where canon like '%/spaces/%'")" = 0 ] || fail "move: not migrated: $(q 'select canon from postmortems')"
[ "$(pm_of)" = "$pm0" ] || fail "move: post-mortem $(pm_of), was $pm0"
[ "$(keys_of)" = "$keys0" ] || fail "move: items $(keys_of), were $keys0"
[ "$(missing "Cloud epsilon")" = 0 ] || fail "move: the moved page is missing"
[ "$(q "select listed_by from postmortems where title = 'Cloud epsilon'")" = archive-wiki ] ||
    fail "move: listed_by $(q "select listed_by from postmortems where title = 'Cloud epsilon'")"
q "select source from postmortems where title = 'Cloud epsilon'" | grep -q '/wiki/spaces/ARCHIVE/pages/2005$' ||
    fail "move: shown as $(q "select source from postmortems where title = 'Cloud epsilon'") / $(q 'select title, source, canon, file_mtime, listed_by from postmortems') / $(cat "$T/err")"
[ "$(q "select count(*) from history h join items i on i.id = h.item_id join postmortems p on p.id = i.postmortem_id where p.title = 'Cloud epsilon' and h.field = 'source' and h.old like '%/spaces/SRE/pages/2005' and h.new like '%/spaces/ARCHIVE/pages/2005'")" = 2 ] ||
    fail "move: history lacks the move: $(q "select field, old, new from history order by id desc limit 4")"
CLOSELOOP_NOW=$(day 60) expect_rc 0 "$CL" -v import
expect_not_in "$T/err" "cloud-epsilon"
[ "$(q "select count(*) from items i join postmortems p on p.id = i.postmortem_id where p.title = 'Cloud epsilon' and i.status = 'open'")" = 2 ] ||
    fail "move: items not open: $(q 'select key, status from items')"
CLOSELOOP_NOW=$(day 60) expect_rc 0 "$CL" sync
[ "$(posts)" = "$before" ] || fail "move: new issues filed ($(posts), had $before)"
[ "$(closed_np)" = "$np" ] || fail "move: tickets closed as not planned"
no_dups "move" "Cloud epsilon"
sed -i '/^\[source "archive-wiki"\]/,/^retries = 1/d' "$T/config"
ok "cloud: a page moved to another configured space keeps its post-mortem, items and tickets"

# === Confluence Data Center ===============================================
start_conf --flavor dc --context /confluence --max-limit 2
cat >> "$T/config" <<CFG

[source "dc-wiki"]
kind = confluence
flavor = datacenter
url = $CONF/confluence
space = OPS
label = postmortem
token_env = CL_CONF_TOKEN
retries = 1
CFG
sed -i '/^\[source "sre-wiki"\]/,/^retries = 1/d' "$T/config"
use_db dc
dbody() { cstat 'd["by_route"].get("GET /rest/api/content/{n}", 0)'; }
cadmin /_admin/space '{"key":"OPS","name":"Operations"}' >/dev/null
i=0
for t in "DC alpha" "DC beta" "DC gamma"; do
    i=$((i + 1)); xml "$t" > "$T/d$i.xml"
    cadmin /_admin/page "$(page_json OPS 300$i "$t" postmortem "$T/d$i.xml")" >/dev/null
done
expect_rc 0 "$CL" import
expect_rc 0 "$CL" sync
cadmin /_admin/trash '{"page": 3002}' >/dev/null
cadmin /_admin/reset-counts >/dev/null
expect_rc 0 "$CL" -v import
[ "$(missing "DC beta")" = 1 ] || fail "dc: a deleted page is not missing"
[ "$(cstat 'd["by_route"].get("GET /rest/api/content/search", 0)')" = 1 ] || fail "dc: search pages: $(cstat 'd["by_route"]')"
[ "$(dbody)" = 0 ] || fail "dc: bodies read"
cadmin /_admin/trash '{"page": 3002, "restore": true}' >/dev/null
before=$(posts)
expect_rc 0 "$CL" import
[ "$(missing "DC beta")" = 0 ] || fail "dc: restored page still missing"
expect_rc 0 "$CL" sync
[ "$(posts)" = "$before" ] || fail "dc: return filed issues"
no_dups "dc return" "DC beta"
ok "dc: vanish and return within missing_days"
cadmin /_admin/labels '{"page": 3003, "labels": ["draft"]}' >/dev/null
vanish_for_good "DC gamma" "dc"
ok "dc: an unlabelled page is withdrawn after missing_days, tickets closed"

# === GitHub issues ========================================================
sed -i '/^\[source "dc-wiki"\]/,/^retries = 1/d' "$T/config"
cat >> "$T/config" <<CFG

[source "gh-incidents"]
kind = github
url = $FAKE
project = acme/ops
label = incident
token_env = CL_TEST_TOKEN
limit = 1
retries = 1
CFG
use_db github
gh_issue() {
    api POST /repos/acme/ops/issues "$($PY -c 'import json,sys; print(json.dumps({"title": sys.argv[1], "body": sys.argv[2], "labels": ["incident"]}))' "$1" "$(md "$1")")" |
        jq_py 'd["number"]'
}
gh_labels() { api PATCH "/repos/acme/ops/issues/$1" "{\"labels\": $2}" >/dev/null; }
listings() { stat 'd["by_route"].get("GET /repos/acme/ops/issues", 0)'; }
g1=$(gh_issue "GH alpha"); g2=$(gh_issue "GH beta"); g3=$(gh_issue "GH gamma")
expect_rc 0 "$CL" import
expect_rc 0 "$CL" sync
gh_labels "$g2" '["bug"]'
# an incremental listing (since) does not show the issue: nothing missing
expect_rc 0 "$CL" -v import
[ "$(missing "GH beta")" = 0 ] || fail "github: an incremental listing marked an issue missing"
# a day later the listing is complete again: missing
admin /_admin/reset-counts >/dev/null
CLOSELOOP_NOW=$(later 25) expect_rc 0 "$CL" -v import
[ "$(missing "GH beta")" = 1 ] || fail "github: an unlabelled issue is not missing after a complete listing"
expect_in "$T/err" "missing from its source since"
# the 2 issues still labelled, one a page (closeloop's tickets are not labelled)
[ "$(listings)" = 2 ] || fail "github: complete listing cost $(listings) requests: $(stat 'd["by_route"]')"
# a complete listing that fails on its second page marks nothing
g4=$(gh_issue "GH delta")
gh_labels "$g3" '[]'
admin /_admin/faults '{"faults":[{"method":"GET","path":"/issues","query":"page=2","status":502,"times":2}]}' >/dev/null
CLOSELOOP_NOW=$(later 50) "$CL" import > "$T/out" 2>&1 && fail "github: a failed listing exits 0"
[ "$(missing "GH gamma")" = 0 ] || fail "github: a failed listing marked an issue missing"
gh_labels "$g3" '["incident"]'
# the label back: listed again (its update time moved), no longer missing
gh_labels "$g2" '["incident", "sev2"]'
before=$(posts)
CLOSELOOP_NOW=$(later 50) expect_rc 0 "$CL" -v import
[ "$(missing "GH beta")" = 0 ] || fail "github: relabelled issue still missing"
[ "$(missing "GH gamma")" = 0 ] || fail "github: gamma missing"
expect_rc 0 "$CL" sync
[ "$(posts)" = $((before + 2)) ] || fail "github: want the 2 tickets of GH delta only ($(posts), had $before)"
no_dups "github return" "GH beta"
ok "github: unlabelled issue missing after a complete listing only, back when relabelled"
admin /_admin/issue/"$g3" '{"deleted": true}' >/dev/null
vanish_for_good "GH gamma" "github"
ok "github: a deleted issue is withdrawn after missing_days, tickets closed"

# === GitLab issues ========================================================
rm -f "$T/gl.port"
$PY "$ROOT/tests/helpers/fake_gitlab.py" --port-file "$T/gl.port" --token "$CL_TEST_TOKEN" \
    --project acme/ops --project-id 42 --max-seconds 900 2>"$T/gl.log" &
PIDS="$PIDS $!"
GL="http://127.0.0.1:$(wait_port "$T/gl.port")"
sed -i '/^\[source "gh-incidents"\]/,/^retries = 1/d' "$T/config"
cat >> "$T/config" <<CFG

[source "gl-incidents"]
kind = gitlab
url = $GL
project = acme/ops
label = incident-review
token_env = CL_TEST_TOKEN
retries = 1
CFG
use_db gitlab
gl_issue() {
    FAKE=$GL api POST /api/v4/projects/42/issues "$($PY -c 'import json,sys; print(json.dumps({"title": sys.argv[1], "description": sys.argv[2], "labels": "incident-review"}))' "$1" "$(md "$1")")" |
        jq_py 'd["iid"]'
}
gl_labels() { FAKE=$GL api PUT "/api/v4/projects/42/issues/$1" "{\"labels\": \"$2\"}" >/dev/null; }
l1=$(gl_issue "GL alpha"); l2=$(gl_issue "GL beta")
expect_rc 0 "$CL" import
expect_rc 0 "$CL" sync
gl_labels "$l1" "bug"
expect_rc 0 "$CL" import
[ "$(missing "GL alpha")" = 0 ] || fail "gitlab: an incremental listing marked an issue missing"
CLOSELOOP_NOW=$(later 25) expect_rc 0 "$CL" import
[ "$(missing "GL alpha")" = 1 ] || fail "gitlab: an unlabelled issue is not missing after a complete listing"
gl_labels "$l1" "incident-review"
before=$(posts)
CLOSELOOP_NOW=$(later 26) expect_rc 0 "$CL" import
[ "$(missing "GL alpha")" = 0 ] || fail "gitlab: relabelled issue still missing"
expect_rc 0 "$CL" sync
[ "$(posts)" = "$before" ] || fail "gitlab: return filed issues"
no_dups "gitlab return" "GL alpha"
ok "gitlab: vanish and return"
FAKE=$GL admin /_admin/issue/"$l2" '{"deleted": true}' >/dev/null
vanish_for_good "GL beta" "gitlab"
ok "gitlab: a deleted issue is withdrawn after missing_days, tickets closed"
echo "t53: all passed"
