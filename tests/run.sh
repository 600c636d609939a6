#!/bin/sh
# Runs every test: the Check suites (build/tests/check_*) and the shell/Python
# integration tests (tests/t*.sh). Prints "N passed, N failed" at the end.
set -u
cd "$(dirname "$0")/.."
pass=0; fail=0; failed=""
for t in build/tests/check_*; do
    [ -x "$t" ] || continue
    if CK_FORK=yes "$t" > "build/tests/$(basename "$t").log" 2>&1; then
        pass=$((pass + 1)); echo "PASS: $(basename "$t")"
    else
        fail=$((fail + 1)); failed="$failed $(basename "$t")"
        echo "FAIL: $(basename "$t")"; cat "build/tests/$(basename "$t").log"
    fi
done
for t in tests/t[0-9]*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    if sh "$t" > "build/tests/$name.log" 2>&1; then
        pass=$((pass + 1)); echo "PASS: $name"
    else
        fail=$((fail + 1)); failed="$failed $name"
        echo "FAIL: $name"; tail -n 40 "build/tests/$name.log"
    fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
