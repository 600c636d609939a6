#!/bin/sh
# Every request closeloop sends to Jira Cloud is checked by Prism against
# Atlassian's platform API v3 description
# (../shared/api/specs/jira-cloud-platform-v3.openapi.json) in front of the
# fake Jira Cloud (tests/helpers/prism-suite.sh): search through
# /rest/api/3/search/jql with nextPageToken (not the deprecated /search),
# ADF bodies, transitions, comments, /myself.
. "$(dirname "$0")/helpers/tracker-lib.sh"
. "$ROOT/tests/helpers/prism-lib.sh"
BACKEND=jira
ALICE_T=557058:alice-acct-0001
BOB_T=557058:bob-acct-0002
FAKE_ARGS="--flavor cloud --project OPS --user bot@example.com --users $ALICE_T,$BOB_T"
KIND=jira
PROJECT=OPS
EXTRA_CFG=$(printf '%s\n' "flavor = cloud" "user = bot@example.com" "search_wait_ms = 0")
REF_PREFIX=""
# One correction in the copy Prism reads: the description gives some 204
# answers (PUT issue, POST transitions) an application/json body; a 204 has
# no body (RFC 9110 15.3.5) and Jira sends none, so their content is
# dropped. Nothing else is changed.
SPEC="$T/jira-cloud.openapi.json"
$PY - "$(spec_path jira-cloud-platform-v3.openapi.json)" "$SPEC" <<'PYEOF' || fail "spec copy"
import json, sys
d = json.load(open(sys.argv[1]))
for item in d["paths"].values():
    for op in item.values():
        if isinstance(op, dict) and "204" in op.get("responses", {}):
            op["responses"]["204"].pop("content", None)
json.dump(d, open(sys.argv[2], "w"))
PYEOF
BAD_PATH=/rest/api/3/issue
BAD_JSON='{"fields": 7}'
TOLERATE=False
. "$ROOT/tests/helpers/prism-suite.sh"
echo "t39: all passed"
