#!/bin/sh
# Every request closeloop sends to Gitea is checked by Prism against the
# description Gitea 1.27.1 serves (../shared/api/specs/gitea-1.27.1.swagger.json)
# in front of the fake Gitea (tests/helpers/prism-suite.sh).
. "$(dirname "$0")/helpers/tracker-lib.sh"
. "$ROOT/tests/helpers/prism-lib.sh"
BACKEND=gitea
FAKE_ARGS="--repo acme/ops --users alice-gt,bob-gt"
KIND=gitea
PROJECT=acme/ops
ALICE_T=alice-gt
BOB_T=bob-gt
EXTRA_CFG=""
REF_PREFIX="#"
# Two corrections in the copy Prism reads, nothing else changed:
# - Prism 5 matches a Swagger 2.0 description's paths as written and
#   ignores basePath (/api/v1): basePath is folded into the paths;
# - Swagger 2.0 cannot say "nullable", and Gitea (Go) sends null for unset
#   pointer fields and nil lists (assignee, assignees, milestone, closed_at,
#   due_date, pull_request): every property of a definition gets
#   x-nullable: true.
SPEC="$T/gitea.swagger.json"
$PY - "$(spec_path gitea-1.27.1.swagger.json)" "$SPEC" <<'PYEOF' || fail "spec copy"
import json, sys
d = json.load(open(sys.argv[1]))
base = d.pop("basePath", "").rstrip("/")
d["paths"] = {base + p: v for p, v in d["paths"].items()}
for defn in d.get("definitions", {}).values():
    for prop in (defn.get("properties") or {}).values():
        prop["x-nullable"] = True
json.dump(d, open(sys.argv[2], "w"))
PYEOF
BAD_PATH=/api/v1/repos/acme/ops/issues
BAD_JSON='{"body": 7}'
TOLERATE=False
. "$ROOT/tests/helpers/prism-suite.sh"
echo "t38: all passed"
