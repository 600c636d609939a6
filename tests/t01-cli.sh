#!/bin/sh
# The command line: init, import, lint, list, show, done/reopen, config errors,
# help and exit codes, run against the real binary in a private directory.
. "$(dirname "$0")/lib.sh"
FIX="$TOP/tests/fixtures/parse"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
DB="$T/db/closeloop.db"

expect_rc 0 "$CL" --version
expect_in "$T/out" "closeloop "
expect_rc 0 "$CL" --help
expect_in "$T/out" "import"
expect_in "$T/out" "exit status"
expect_rc 0 "$CL" help list
expect_in "$T/out" "--overdue"
expect_rc 0 "$CL" list --help
expect_in "$T/out" "usage: closeloop list"
expect_rc 64 "$CL" frobnicate
expect_in "$T/err" "unknown command: frobnicate"
expect_rc 64 "$CL" i
expect_in "$T/err" "ambiguous command: i, could be: init, import"
expect_rc 64 "$CL" list --bogus
expect_in "$T/err" "usage: closeloop list"

# list before init: a clear message
expect_rc 66 "$CL" -d "$DB" list
expect_in "$T/err" "closeloop init"

expect_rc 0 "$CL" -d "$DB" init
[ -f "$DB" ] || fail "init did not create $DB"
# default database under XDG_DATA_HOME
expect_rc 0 "$CL" init
[ -f "$XDG_DATA_HOME/closeloop/closeloop.db" ] || fail "no database under XDG_DATA_HOME"

# config errors name the file and line, exit 78
expect_rc 78 "$CL" -c "$T/missing.conf" list
expect_in "$T/err" "missing.conf"
printf '[closeloop]\ntimezone = UTC\n[tracker]\nkindd = github\n' > "$T/bad.conf"
expect_rc 0 "$CL" -c "$T/bad.conf" -d "$DB" list
expect_in "$T/err" "warning: $T/bad.conf:4: [tracker] kindd: unknown key, ignored (did you mean 'kind'?)"
printf '[closeloop]\nthis is not ini\n' > "$T/bad2.conf"
expect_rc 78 "$CL" -c "$T/bad2.conf" -d "$DB" list
expect_in "$T/err" "bad2.conf:2"
printf '[closeloop]\ntimezone = Mars/Base\n' > "$T/bad3.conf"
expect_rc 78 "$CL" -c "$T/bad3.conf" -d "$DB" list
expect_in "$T/err" "unknown time zone"
# a secret in a file others can read is refused
printf '[tracker]\ntoken = s3cret\n' > "$T/secret.conf"; chmod 644 "$T/secret.conf"
expect_rc 78 "$CL" -c "$T/secret.conf" -d "$DB" list
expect_in "$T/err" "chmod 600"
expect_not_in "$T/err" "s3cret"

# import a tree: problems printed as path:line: code: message
mkdir -p "$T/pm/2024"
cp "$FIX/table-basic.md" "$T/pm/2024/pool.md"
cp "$FIX/renamed-columns.md" "$T/pm/dns.md"
cp "$FIX/checklist.md" "$T/pm/certs.md"
printf '# Bad \377 bytes\n' > "$T/pm/latin1.md"
expect_rc 65 "$CL" -d "$DB" import "$T/pm"
expect_in "$T/out" "$T/pm/dns.md:12: owner-not-a-person:"
expect_in "$T/out" "$T/pm/dns.md:12: due-not-a-date: due date 'next sprint' is not a date"
expect_in "$T/err" "latin1.md: line 1: not valid UTF-8"
rm "$T/pm/latin1.md"
expect_rc 0 "$CL" -d "$DB" -v import "$T/pm"
expect_in "$T/err" "0 parsed, 3 unchanged"

# lint exits 1 on problems, 0 on a clean document
expect_rc 1 "$CL" -d "$DB" lint "$T/pm"
expect_in "$T/out" "certs.md:13: owner-not-a-person"
expect_in "$T/out" "certs.md:11: owner-missing"
expect_rc 0 "$CL" -d "$DB" lint "$FIX/crlf.md"
expect_rc 1 "$CL" -d "$DB" lint "$FIX/no-actions.md"
expect_in "$T/out" "no-action-items"
expect_rc 66 "$CL" lint "$T/nowhere"

# list --json is the documented contract
expect_rc 0 "$CL" -d "$DB" list --all --json
$PY - "$T/out" <<'PYEOF' || fail "list --json contract"
import json, sys
doc = json.load(open(sys.argv[1]))
items = doc["items"]
assert len(items) == 13, len(items)  # certs.md: its nested task is an item (issue 11)
keys = {"id", "action", "owner", "owner_raw", "due", "due_raw", "status", "ticket",
        "problems", "postmortem"}
for it in items:
    assert keys <= set(it), set(it) ^ keys
    assert it["status"] in ("open", "done", "withdrawn")
    assert all(c.isalnum() or c in "-_." for c in it["id"]), it["id"]
    assert set(it["postmortem"]) >= {"id", "title", "source", "date"}
by = {it["action"]: it for it in items}
raise_ = by["Raise resolver cache size"]
assert raise_["status"] == "done" and raise_["owner"] == "priya"
assert raise_["ticket"] == "https://jira.example.com/browse/OPS-101"
assert raise_["postmortem"]["source"] == "dns.md"
pool = by["Alert when pool usage stays above 90% for 5 minutes"]
assert pool["due"] == "2024-03-11" and pool["due_raw"] == "Mar 11"
assert pool["postmortem"]["source"] == "2024/pool.md", pool["postmortem"]
assert pool["postmortem"]["date"] == "2024-03-04"
team = by["Write the resolver runbook"]
assert team["due"] is None and team["problems"] == ["owner-not-a-person", "due-not-a-date"]
PYEOF

# overdue table on 2024-03-20
expect_rc 0 "$CL" -d "$DB" list --overdue
expect_in "$T/out" "Alert when pool usage"
expect_in "$T/out" "9d late"
expect_not_in "$T/out" "Add a pool-exhaustion game day"
expect_rc 1 "$CL" -d "$DB" list --overdue --exit-status
expect_rc 0 "$CL" -d "$DB" list --owner mira --json
n=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$T/out")
[ "$n" = 2 ] || fail "--owner mira: $n items"
# a [people] name finds the handle's items and those written with the name
printf '[people]\nmira = Mira Sol <mira@example.com>\n' > "$T/people.conf"
expect_rc 0 "$CL" -c "$T/people.conf" -d "$DB" list --owner "Mira Sol" --json
n=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$T/out")
[ "$n" = 2 ] || fail "--owner 'Mira Sol': $n items"
expect_rc 0 "$CL" -c "$T/people.conf" -d "$DB" list --owner "Carla Diaz" --all --json
n=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$T/out")
[ "$n" = 1 ] || fail "--owner 'Carla Diaz' (written by name): $n items"
expect_rc 0 "$CL" -d "$DB" list --postmortem dns --all --json
n=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$T/out")
[ "$n" = 3 ] || fail "--postmortem dns: $n items"

# done / reopen / show with history
id=$($PY -c 'import json,sys; print([i["id"] for i in json.load(open(sys.argv[1]))["items"] if i["action"].startswith("Alert when")][0])' "$T/out" 2>/dev/null || true)
id=2024-pool.1
expect_rc 0 "$CL" -d "$DB" done "$id"
expect_rc 0 "$CL" -d "$DB" show "$id"
expect_in "$T/out" "status:      done"
expect_in "$T/out" "local    status   open → done"
expect_rc 0 "$CL" -d "$DB" reopen "$id"
expect_rc 0 "$CL" -d "$DB" show --json "$id"
$PY - "$T/out" <<'PYEOF' || fail "show --json"
import json, sys
it = json.load(open(sys.argv[1]))
assert it["status"] == "open"
h = [(x["origin"], x["field"], x.get("old"), x.get("new")) for x in it["history"]]
assert h[0][:2] == ("import", "created"), h
assert ("local", "status", "open", "done") in h and ("local", "status", "done", "open") in h, h
PYEOF
expect_rc 66 "$CL" -d "$DB" show nope.1
expect_in "$T/err" "no item 'nope.1'"

# an edit in the document is an update with history; a removed row is withdrawn
sed -i 's/| @tomas | Mar 18 |/| @mira | Mar 25 |/; /pool-exhaustion/d' "$T/pm/2024/pool.md"
expect_rc 0 "$CL" -d "$DB" -v import "$T/pm"
expect_in "$T/err" "1 updated, 1 withdrawn"
expect_rc 0 "$CL" -d "$DB" show 2024-pool.2
expect_in "$T/out" "import   owner    @tomas → @mira"
expect_rc 0 "$CL" -d "$DB" show 2024-pool.3
expect_in "$T/out" "status:      withdrawn"

# dry run changes nothing
before=$(sqlite3 "$DB" 'select count(*) from history')
cp "$FIX/subheadings.md" "$T/pm/queue.md"
expect_rc 0 "$CL" -d "$DB" import --dry-run "$T/pm"
after=$(sqlite3 "$DB" 'select count(*) from history')
[ "$before" = "$after" ] || fail "dry run wrote history ($before → $after)"
echo "t01-cli: ok"
