# prism-suite.sh — the requests of a sync's life through Prism (proxy mode,
# the vendor's own API description) in front of a fake tracker; sourced by
# tests/t3x-prism-*.sh after tracker-lib.sh and prism-lib.sh, with BACKEND,
# FAKE_ARGS, KIND, PROJECT, ALICE_T, BOB_T, EXTRA_CFG, REF_PREFIX, SPEC (a
# path), BAD_PATH/BAD_JSON (an invalid create Prism must refuse) and TOLERATE (a Python expression, see prism_violations). Covers:
# create (labels, assignee, due), link by reference, pull, update (title,
# due, assignee), close, reopen, withdrawn (close as not planned with a
# comment), "who am I" for a lost create. Zero violations is the assertion.
pport=$(free_port)
start_fake "$BACKEND" $FAKE_ARGS --public-url "http://127.0.0.1:$pport"
start_prism "$SPEC" "$FAKE" "$pport"
write_config "$KIND" "$PROXY" "$PROJECT" "$ALICE_T" "$BOB_T" "$EXTRA_CFG"
# Prism must refuse a bad request, or this test proves nothing (BAD_PATH,
# BAD_JSON: a create the description does not allow)
$PY - "$PROXY$BAD_PATH" "$BAD_JSON" <<'PYEOF' || fail "Prism let an invalid create through"
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], method="POST", data=sys.argv[2].encode(),
    headers={"Content-Type": "application/json", "Accept": "application/json",
             "Authorization": "Bearer x"})
try:
    urllib.request.urlopen(req, timeout=20)
    sys.exit(1)
except urllib.error.HTTPError as e:
    body = e.read().decode(errors="replace")
    sys.exit(0 if e.code == 422 and "prism" in body else 1)
PYEOF
mkdir -p "$T/pm"
seed=$(admin /_admin/seed '{"title":"Runbook for the cache (filed by hand)"}' | jq_py 'd["id"]')
cat > "$T/pm/cache.md" <<MD
# Cache stampede after deploy - 2024-05-02

## Action items

| Action | Owner | Due | Ticket |
|--------|-------|-----|--------|
| Add request coalescing to the cache | alice | 2024-06-01 | |
| Stagger cache TTLs | bob | 2024-06-10 | |
| Write the cache runbook | bob | 2024-06-15 | ${REF_PREFIX}${seed} |
| Remove the legacy warmup script | alice | 2024-05-20 | |
MD
"$CL" init >/dev/null 2>&1 || fail init
"$CL" import "$T/pm" >/dev/null 2>&1
total=0
run() {
    "$CL" -vv sync > "$T/out" 2>"$T/trace" || { grep -A3 "^< HTTP/1.1 5\|prism/errors" "$T/trace" | head -20; grep "validation" "$T/trace" | head; fail "sync through Prism: $(cat "$T/out") $(tail -n 3 "$T/trace")"; }
    n=$(cat "$T/out" "$T/trace" | sed -n 's/^sync: .*(\([0-9]*\) requests\{0,1\}).*/\1/p' | tail -n 1)
    total=$((total + n))
}
admin /_admin/reset-counts >/dev/null
run                                                   # create, link, list
k1=$(key_of "Add request coalescing to the cache")
k2=$(key_of "Stagger cache TTLs")
id1=$(issue_with "$k1" 'd["id"]')
id2=$(issue_with "$k2" 'd["id"]')
admin "/_admin/issue/$id1" '{"state":"closed"}' >/dev/null
admin "/_admin/issue/$id2" "{\"assignee\":\"$ALICE_T\",\"title\":\"renamed in the tracker\"}" >/dev/null
run                                                   # pull, title put back
sed -i '/Remove the legacy warmup script/d' "$T/pm/cache.md"
sed -i 's/| Stagger cache TTLs | bob | 2024-06-10 |/| Stagger cache TTLs | bob | 2024-06-30 |/' "$T/pm/cache.md"
"$CL" import "$T/pm" >/dev/null 2>&1
run                                                   # withdrawn: close + comment; due, assignee
"$CL" reopen "$k1" >/dev/null 2>&1 || fail reopen
run                                                   # reopen
"$CL" done "$k1" >/dev/null 2>&1 || fail done
run                                                   # close as completed
# a create whose answer was lost, and an issue with its marker filed by a
# person: closeloop asks the tracker who it is, and does not adopt
cat >> "$T/pm/cache.md" <<'MD'
| Alert on cache hit ratio | alice | 2024-07-01 | |
MD
"$CL" import "$T/pm" >/dev/null 2>&1
k5=$(key_of "Alert on cache hit ratio")
ident=$(sqlite3 "$T/closeloop.db" "SELECT tracker FROM sync_items WHERE ticket IS NOT NULL LIMIT 1")
sqlite3 "$T/closeloop.db" "INSERT INTO sync_items (item_id, tracker, intent_at) SELECT id, '$ident', strftime('%Y-%m-%dT%H:%M:%SZ','now') FROM items WHERE key = '$k5'"
admin /_admin/seed "{\"title\":\"Alert on cache hit ratio\",\"body\":\"<!-- closeloop:$k5 -->\"}" >/dev/null
run                                                   # who am I, then create
grep -q "not filed by closeloop's account" "$T/out" "$T/trace" || fail "no whoami check: $(cat "$T/out") $(grep -v "^[<>*]" "$T/trace" | tail -n 5)"
seen=$(stat 'd["requests"]')
echo "closeloop sent $total requests through Prism; the fake saw $seen ($(stat 'd["by_route"]'))"
[ "$total" -gt 12 ] || fail "too few requests to prove anything"
[ "$seen" = "$total" ] || { grep -i -B2 -A8 "violat\|error" "$T/prism.log" | head -60; fail "Prism stopped $((total - seen)) requests"; }
prism_violations "$TOLERATE"
ok "$total requests through Prism, zero violations"
