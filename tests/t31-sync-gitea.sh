#!/bin/sh
# closeloop sync against the fake Gitea (server zone +02:00): the tracker
# behaviour suite (tests/helpers/tracker-suite.sh).
. "$(dirname "$0")/helpers/tracker-lib.sh"
BACKEND=gitea
FAKE_ARGS="--repo acme/ops --users alice-gt,bob-gt --server-tz-hours 2"
KIND=gitea
PROJECT=acme/ops
BAD_PROJECT=acme/nope
ALICE_T=alice-gt
BOB_T=bob-gt
EXTRA_CFG=""
REF_PREFIX="#"
CREATE_PATH=/issues
. "$ROOT/tests/helpers/tracker-suite.sh"
echo "t31: all passed"
