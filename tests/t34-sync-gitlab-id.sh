#!/bin/sh
# closeloop sync against the fake GitLab with the project given by numeric
# id and pages announced only by x-next-page (no Link header, as GitLab does
# past 10,000 rows): the tracker behaviour suite again.
. "$(dirname "$0")/helpers/tracker-lib.sh"
BACKEND=gitlab
FAKE_ARGS="--project acme/ops --project-id 42 --no-link"
KIND=gitlab
PROJECT=42
BAD_PROJECT=43
ALICE_T=alice-gh
BOB_T=bob-gh
EXTRA_CFG=""
REF_PREFIX="#"
CREATE_PATH=/issues
. "$ROOT/tests/helpers/tracker-suite.sh"
echo "t34: all passed"
