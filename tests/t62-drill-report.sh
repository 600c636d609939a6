#!/bin/sh
# A failed drill re-run shows in the weekly report until a report with it
# was sent; a passed one marks the post-mortem verified.
. "$(dirname "$0")/lib.sh"
export CLOSELOOP_NOW=2024-04-03T10:00:00Z
mkdir -p "$T/pm" "$T/outbox"
cp "$TOP/tests/fixtures/parse/table-basic.md" "$T/pm/pool.md"
cat > "$T/config" <<CFG
[closeloop]
database = $T/db
timezone = UTC
[people]
mira = Mira Sol <mira@example.com>
tomas = Tomas Ek <tomas@example.com>
[mail]
transport = file
outbox = $T/outbox
from = closeloop <closeloop@example.com>
[report]
to = eng@example.com
[drill]
organizer = SRE <sre@example.com>
CFG
export CLOSELOOP_CONFIG="$T/config"
expect_rc 0 "$CL" import "$T/pm"
expect_rc 0 "$CL" drill schedule pool --at "2024-04-02 14:00" --send
id=$(tail -n 1 "$T/out")
expect_rc 0 "$CL" drill done "$id" --result fail --notes "pool alert never fired"
expect_rc 0 "$CL" report
expect_in "$T/out" "Drill re-runs that failed"
expect_in "$T/out" "pool alert never fired"
expect_rc 0 "$CL" report --format html
expect_in "$T/out" "Drill re-runs that failed"
expect_rc 0 "$CL" report --format json
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); f=d["failed_drills"]; assert len(f)==1 and f[0]["notes"]=="pool alert never fired", f' "$T/out" \
    || fail "failed_drills in JSON"
expect_rc 0 "$CL" report --send
expect_rc 0 "$CL" report
expect_not_in "$T/out" "Drill re-runs that failed"
# a pass marks the post-mortem verified
expect_rc 0 "$CL" drill schedule pool --at "2024-04-09 14:00" --send
id=$(tail -n 1 "$T/out")
expect_rc 0 "$CL" drill done "$id" --result pass --rto 12
v=$(sqlite3 "$T/db" "select verified_at is not null from postmortems where slug='pool'")
[ "$v" = 1 ] || fail "post-mortem not verified after a pass"
echo "t62-drill-report: ok"
