#!/bin/sh
# closeloop sync against the fake Jira Cloud (REST v3, ADF, Basic e-mail +
# token, account ids, search/jql with nextPageToken, a required custom field
# given through extra_fields, an account zone west of UTC, a search index
# that lags behind a create): the tracker behaviour suite, then Jira's own
# points (Won't Do for withdrawn items, ADF comment, /myself once a run).
. "$(dirname "$0")/helpers/tracker-lib.sh"
BACKEND=jira
ALICE_T=557058:alice-acct-0001
BOB_T=557058:bob-acct-0002
FAKE_ARGS="--flavor cloud --project OPS --user bot@example.com --tz America/New_York --users $ALICE_T,$BOB_T --require-field customfield_10010"
KIND=jira
PROJECT=OPS
BAD_PROJECT=NOPE
EXTRA_CFG=$(printf '%s\n' "flavor = cloud" "user = bot@example.com" "search_wait_ms = 200" \
    'extra_fields = {"customfield_10010": {"value": "Operations"}}')
REF_PREFIX=""
HIDE_SEARCHES=2
CREATE_PATH=/rest/api/3/issue
. "$ROOT/tests/helpers/tracker-suite.sh"
[ "$(issue_with "$k5" 'd["status"]')" = "Won't Do" ] || fail "withdrawn not moved to Won't Do: $(issue_with "$k5" 'd["status"]')"
[ "$(issue_with "$k1" 'd["status"]')" = "Done" ] || fail "done item not Done: $(issue_with "$k1" 'd["status"]')"
[ "$(issue_with "$k1" 'd["custom"]["customfield_10010"]["value"]')" = Operations ] || fail "extra_fields not sent"
ok "Jira Cloud: Won't Do for withdrawn, Done for done, extra_fields"
echo "t32: all passed"
