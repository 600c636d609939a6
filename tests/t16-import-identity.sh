#!/bin/sh
# Post-mortem identity (issue 13 §1) against the fake GitHub: two roots with
# the same file name, two paths to one file, a rename, a rename plus an
# edit, a document that vanishes and comes back within [import]
# missing_days, one that vanishes for good, forget; each with no duplicate
# item and no duplicate ticket. list --postmortem of an unknown id: 66 with
# a "did you mean".
. "$(dirname "$0")/helpers/sync-lib.sh"

start_fake
write_config github "$FAKE" acme/ops
DB="$T/closeloop.db"
q() { sqlite3 "$DB" "$1"; }
doc() {   # doc TITLE ACTION... : a post-mortem with one row per action
    printf '# %s - 2024-03-01\n\n## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n' "$1"
    shift
    for a in "$@"; do printf '| %s | alice | 2024-04-01 |\n' "$a"; done
}
posts() { stat 'd["by_method"].get("POST",0)'; }
# no_dups: every item once per post-mortem text, every marker on one issue
no_dups() {
    [ "$(q "select count(*) from (select postmortem_id, norm from items group by 1, 2 having count(*) > 1)")" = 0 ] ||
        fail "$1: duplicate items: $(q 'select key, action from items')"
    stat 'd["markers"]' | jq_py 'max(list(d.values()) or [1])' | grep -qx 1 ||
        fail "$1: duplicate tickets: $(stat 'd["markers"]')"
}
"$CL" init >/dev/null 2>&1 || fail "init"

# --- two roots, both with pm.md: two post-mortems, no warning -------------
mkdir -p "$T/team-a" "$T/team-b"
doc "Team A outage" "Add the A alert" "Fix the A runbook" > "$T/team-a/pm.md"
doc "Team B outage" "Add the B alert" > "$T/team-b/pm.md"
"$CL" import "$T/team-a" > "$T/out" 2>&1 || fail "import a: $(cat "$T/out")"
"$CL" import "$T/team-b" > "$T/out" 2>&1 || fail "import b: $(cat "$T/out")"
grep -q "warning\|rewrit" "$T/out" && fail "a warning: $(cat "$T/out")"
[ "$(q 'select count(*) from postmortems')" = 2 ] || fail "two roots: $(q 'select slug, source from postmortems')"
[ "$(q "select count(*) from items where status = 'open'")" = 3 ] || fail "two roots: items"
[ "$(q "select group_concat(source, ' ') from (select source from postmortems order by id)")" = "pm.md team-b/pm.md" ] ||
    fail "display names: $(q 'select source from postmortems')"
"$CL" sync > "$T/out" 2>&1 || fail "sync: $(cat "$T/out")"
[ "$(stat 'd["issues"]')" = 3 ] || fail "two roots: $(stat 'd["issues"]') issues"
"$CL" import "$T/team-a" >/dev/null 2>&1
"$CL" import "$T/team-b" >/dev/null 2>&1
no_dups "two roots"
ok "two roots"

# --- one file by two paths: one post-mortem ------------------------------
mkdir -p "$T/pm/2024"
doc "Database failover stalled" "Add replica lag alert" "Document failover runbook" \
    "Rotate the pager keys" "Add disk space alerts" > "$T/pm/2024/db.md"
"$CL" import "$T/pm" >/dev/null 2>&1 || fail "import pm"
"$CL" import "$T/pm/2024/db.md" >/dev/null 2>&1 || fail "import by path"
(cd "$T/pm/2024" && "$CL" import db.md ../2024/./db.md) >/dev/null 2>&1 || fail "import relative"
[ "$(q "select count(*) from postmortems where title like 'Database%'")" = 1 ] || fail "two paths: $(q 'select slug, source from postmortems')"
"$CL" sync >/dev/null 2>&1 || fail "sync"
[ "$(stat 'd["issues"]')" = 7 ] || fail "two paths: $(stat 'd["issues"]') issues"
"$CL" sync --dry-run > "$T/plan" 2>&1
grep -q "would create" "$T/plan" && fail "two paths: plans a create: $(cat "$T/plan")"
no_dups "two paths"
ok "two paths to one file"

# configured source from here on
cat >> "$T/config" <<CFG

[import]
missing_days = 14
CFG
sed -i "s|^timezone = UTC|timezone = UTC\nsources = $T/pm|" "$T/config"
"$CL" import >/dev/null 2>&1 || fail "import configured"

# --- rename: same post-mortem, ids, tickets; history records it ----------
keys=$(q "select group_concat(key) from items where postmortem_id = (select id from postmortems where title like 'Database%')")
before=$(posts)
mv "$T/pm/2024/db.md" "$T/pm/2024/database-failover.md"
"$CL" -v import > "$T/out" 2>&1 || fail "import after rename: $(cat "$T/out")"
grep -q "1 post-mortem found under a new name" "$T/out" || fail "move not reported: $(cat "$T/out")"
[ "$(q "select count(*) from postmortems where title like 'Database%'")" = 1 ] || fail "rename made a second post-mortem"
[ "$(q "select group_concat(key) from items where postmortem_id = (select id from postmortems where title like 'Database%')")" = "$keys" ] ||
    fail "rename: item ids changed"
[ "$(q "select count(*) from items where status = 'withdrawn'")" = 0 ] || fail "rename withdrew items"
[ "$(q "select source from postmortems where title like 'Database%'")" = "2024/database-failover.md" ] || fail "source not updated"
"$CL" show 2024-db.1 > "$T/show" 2>&1 || fail "show: $(cat "$T/show")"
grep -q "source" "$T/show" && grep -q "database-failover.md" "$T/show" || fail "history lacks the move: $(cat "$T/show")"
"$CL" sync >/dev/null 2>&1 || fail "sync after rename"
[ "$(posts)" = "$before" ] || fail "rename: new issues created"
no_dups "rename"
ok "rename"

# --- rename plus edit ----------------------------------------------------
doc "Database failover stalled" "Add replica lag alert (p99)" "Document failover runbook" \
    "Rotate the pager keys" "Add disk space alerts" > "$T/pm/2024/db-failover.md"
rm "$T/pm/2024/database-failover.md"
"$CL" import >/dev/null 2>&1 || fail "import after rename+edit"
[ "$(q "select count(*) from postmortems where title like 'Database%'")" = 1 ] || fail "rename+edit made a second post-mortem"
[ "$(q "select action from items where key = '2024-db.1'")" = "Add replica lag alert (p99)" ] || fail "edit lost"
[ "$(q "select count(*) from items where status = 'withdrawn'")" = 0 ] || fail "rename+edit withdrew items"
"$CL" sync >/dev/null 2>&1 || fail "sync after rename+edit"
[ "$(posts)" = "$before" ] || fail "rename+edit: new issues created"
no_dups "rename plus edit"
ok "rename plus edit"

# --- vanish and return within missing_days -------------------------------
doc "Cache stampede" "Add request coalescing" "Jitter the TTLs" > "$T/pm/cache.md"
"$CL" import >/dev/null 2>&1 && "$CL" sync >/dev/null 2>&1 || fail "cache import/sync"
before=$(posts)
mv "$T/pm/cache.md" "$T/cache.md.away"
"$CL" -v run > "$T/out" 2>&1
grep -q "1 post-mortem missing from their source" "$T/out" || fail "-v run does not report it: $(cat "$T/out")"
"$CL" status > "$T/out" 2>&1 || fail "status"
grep -q "^  cache  cache.md  20[0-9-]*" "$T/out" || fail "status lacks it: $(cat "$T/out")"
CLOSELOOP_NOW=$($PY -c 'import datetime; print((datetime.datetime.utcnow()+datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"))') \
    "$CL" import >/dev/null 2>&1
# (30 days later, but only the first run it was seen missing was before)
mv "$T/cache.md.away" "$T/pm/cache.md"
"$CL" import >/dev/null 2>&1 || fail "import back"
[ "$(q "select count(*) from items i join postmortems p on p.id = i.postmortem_id where p.source = 'cache.md' and i.status = 'open'")" = 2 ] ||
    fail "came back: $(q 'select key, status from items')"
[ "$(q "select missing_since is null from postmortems where source = 'cache.md'")" = 1 ] || fail "still missing"
"$CL" sync >/dev/null 2>&1
[ "$(stat "len([i for i in d['list'] if i['state'] == 'closed'])")" = 0 ] || fail "a ticket was closed"
[ "$(posts)" = "$before" ] || fail "return: new issues"
no_dups "vanish and return"
ok "vanish and return within missing_days"

# --- vanish for good: never on the first run, then withdrawn + closed ----
later() { $PY -c "import datetime,sys; print((datetime.datetime.utcnow()+datetime.timedelta(days=int(sys.argv[1]))).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$1"; }
rm "$T/pm/cache.md"
CLOSELOOP_NOW=$(later 20) "$CL" import >/dev/null 2>&1     # first run missing, far ahead: nothing withdrawn
[ "$(q "select count(*) from items where status = 'withdrawn'")" = 0 ] || fail "withdrawn on the first run missing"
CLOSELOOP_NOW=$(later 30) "$CL" import >/dev/null 2>&1     # 10 days later: not yet
[ "$(q "select count(*) from items where status = 'withdrawn'")" = 0 ] || fail "withdrawn before missing_days"
CLOSELOOP_NOW=$(later 35) "$CL" -v import > "$T/out" 2>&1  # 15 days: withdrawn
[ "$(q "select count(*) from items where status = 'withdrawn'")" = 2 ] || fail "not withdrawn after missing_days: $(cat "$T/out")"
grep -q "open items withdrawn" "$T/out" || fail "-v import does not say so: $(cat "$T/out")"
"$CL" sync >/dev/null 2>&1 || fail "sync after vanishing"
[ "$(stat "len([i for i in d['list'] if i['state'] == 'closed' and i.get('state_reason') == 'not_planned'])")" = 2 ] ||
    fail "tickets not closed as not planned"
[ "$(posts)" = "$before" ] || fail "vanish: new issues"
no_dups "vanish for good"
ok "vanish for good"

# --- forget ----------------------------------------------------------------
"$CL" forget team-b-pm > "$T/out" 2>&1 || fail "forget: $(cat "$T/out")"
grep -q "1 open item withdrawn" "$T/out" || fail "forget said: $(cat "$T/out")"
"$CL" show team-b-pm.1 > "$T/show" 2>&1
grep -q "local *status *open → withdrawn" "$T/show" || fail "history: $(cat "$T/show")"
"$CL" -v import "$T/team-b" > "$T/out" 2>&1 || fail "import forgotten"
grep -q "left out 1: forgotten" "$T/out" || fail "forgotten one imported: $(cat "$T/out")"
[ "$(q "select status from items where key = 'team-b-pm.1'")" = withdrawn ] || fail "forgotten came back"
"$CL" sync >/dev/null 2>&1 || fail "sync after forget"
[ "$(stat "len([i for i in d['list'] if i['state'] == 'closed' and i.get('state_reason') == 'not_planned'])")" = 3 ] ||
    fail "forgotten ticket not closed"
[ "$(q "select count(*) from items")" -ge 9 ] || fail "something was deleted"
expect_rc() { want=$1; shift; "$@" > "$T/out" 2>&1; got=$?; [ "$got" = "$want" ] || fail "'$*' exited $got, want $want: $(cat "$T/out")"; }
expect_rc 66 "$CL" forget nosuch
no_dups "forget"
ok "forget"

# --- list --postmortem: unknown is 66, a near miss named -----------------
expect_rc 66 "$CL" list --postmortem team-a-p
grep -q "did you mean 'pm'" "$T/out" || grep -q "did you mean" "$T/out" || fail "no suggestion: $(cat "$T/out")"
expect_rc 66 "$CL" list --postmortem zzzzzzzzzzzz
grep -q "did you mean" "$T/out" && fail "a far miss suggested: $(cat "$T/out")"
expect_rc 0 "$CL" list --postmortem 2024-db
ok "list --postmortem"
echo "t16-import-identity: ok"
