#!/bin/sh
# closeloop sync with kind = forgejo against the fake Gitea API in a zone
# west of UTC (-05:00), where due dates are easiest to get a day wrong: the
# tracker behaviour suite again.
. "$(dirname "$0")/helpers/tracker-lib.sh"
BACKEND=gitea
FAKE_ARGS="--repo acme/ops --users alice-fj,bob-fj --server-tz-hours -5"
KIND=forgejo
PROJECT=acme/ops
BAD_PROJECT=acme/nope
ALICE_T=alice-fj
BOB_T=bob-fj
EXTRA_CFG=""
REF_PREFIX="#"
CREATE_PATH=/issues
. "$ROOT/tests/helpers/tracker-suite.sh"
echo "t35: all passed"
