#!/bin/sh
# closeloop sync against the fake Jira Data Center (REST v2, wiki text,
# Bearer PAT, assignee by name, /search with startAt, account zone +05:30):
# the tracker behaviour suite.
. "$(dirname "$0")/helpers/tracker-lib.sh"
BACKEND=jira
ALICE_T=alice
BOB_T=bob
FAKE_ARGS="--flavor datacenter --project OPS --user closeloop --tz Asia/Kolkata --users alice,bob"
KIND=jira
PROJECT=OPS
BAD_PROJECT=NOPE
EXTRA_CFG=$(printf '%s\n' "flavor = datacenter" "search_wait_ms = 0")
REF_PREFIX=""
HIDE_SEARCHES=2
CREATE_PATH=/rest/api/2/issue
. "$ROOT/tests/helpers/tracker-suite.sh"
echo "t33: all passed"
