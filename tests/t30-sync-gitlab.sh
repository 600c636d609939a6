#!/bin/sh
# closeloop sync against the fake GitLab (project by URL-encoded path): the
# tracker behaviour suite (tests/helpers/tracker-suite.sh).
. "$(dirname "$0")/helpers/tracker-lib.sh"
BACKEND=gitlab
FAKE_ARGS="--project acme/ops --project-id 42"
KIND=gitlab
PROJECT=acme/ops
BAD_PROJECT=acme/nope
ALICE_T=alice-gh
BOB_T=bob-gh
EXTRA_CFG=""
REF_PREFIX="#"
CREATE_PATH=/issues
. "$ROOT/tests/helpers/tracker-suite.sh"
echo "t30: all passed"
