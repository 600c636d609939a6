#!/bin/sh
# Faults against the fake GitHub: 502 on a list is retried (backoff), 429
# with Retry-After is waited out, a rate limit resetting later than
# max_wait_s stops the run with exit 75 and a consistent state that the
# next run completes, without duplicates.
. "$(dirname "$0")/helpers/sync-lib.sh"

start_fake
write_config github "$FAKE" acme/ops
sh "$ROOT/tests/helpers/gen-pm.sh" "$T/pm" 1 6
"$CL" init >/dev/null 2>&1 || fail init
"$CL" import "$T/pm" >/dev/null 2>&1

# 502 twice on the first GET, then 429 (Retry-After: 1) on the first POST
admin /_admin/faults '{"faults":[{"method":"GET","status":502,"times":2},
                                {"method":"POST","status":429,"retry_after":1,"times":1}]}' >/dev/null
admin /_admin/reset-counts >/dev/null
start=$(date +%s)
"$CL" sync > "$T/out" 2>&1 || fail "sync through 502/429: exit $?: $(cat "$T/out")"
end=$(date +%s)
grep -q "6 created" "$T/out" || fail "not all created: $(cat "$T/out")"
[ "$(stat 'd["by_method"]["POST"]')" = 7 ] || fail "POSTs: $(stat 'd["by_method"]') (6 + the 429)"
[ $((end - start)) -ge 1 ] || fail "Retry-After not waited"
ok "502 retried, 429 waited out"

# primary rate limit exhausted until far beyond max_wait_s (5 s): exit 75
cat >> "$T/pm/inc-1.md" <<'MD'
| Harden component 7 of service 1 | alice | 2024-06-08 |
| Harden component 8 of service 1 | alice | 2024-06-09 |
MD
"$CL" import "$T/pm" >/dev/null 2>&1
admin /_admin/faults '{"faults":[{"method":"POST","status":403,"reset_in":3600,"times":1}]}' >/dev/null
"$CL" sync > "$T/out" 2>&1; rc=$?
[ $rc = 75 ] || fail "rate limit beyond max_wait_s: exit $rc, want 75: $(cat "$T/out")"
grep -q "rate limited" "$T/out" || fail "no rate-limit message: $(cat "$T/out")"
"$CL" sync > "$T/out" 2>&1 || fail "next run: $(cat "$T/out")"
[ "$(stat 'd["issues"]')" = 8 ] || fail "issues $(stat 'd["issues"]'), want 8"
[ "$(stat 'len(d["markers"])')" = 8 ] || fail "markers $(stat 'd["markers"]')"
[ "$(stat 'max(d["markers"].values())')" = 1 ] || fail "duplicate markers"
ok "rate limit → 75, next run completes without duplicates"
echo "t25: all passed"
