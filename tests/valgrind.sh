#!/bin/sh
# Runs the Check suites under valgrind memcheck: any memory error or definite
# leak fails the suite. CK_FORK=no keeps every test in the process valgrind
# watches. Usage: tests/valgrind.sh build/tests/check_*
set -u
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null 2>&1 || { echo "valgrind: not installed (contrib/install-deps.sh)"; exit 1; }
pass=0; fail=0; failed=""
for t in "$@"; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    log="build/tests/$name.valgrind.log"
    start=$(date +%s)
    # the torture suite tries every 13th allocation only: 50x slower here
    if CL_TORTURE_STRIDE=13 CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        --suppressions=tests/valgrind.supp "$t" > "$log" 2>&1; then
        pass=$((pass + 1)); echo "PASS: $name ($(( $(date +%s) - start )) s)"
    else
        fail=$((fail + 1)); failed="$failed $name"
        echo "FAIL: $name"; grep -v '^[0-9]*%' "$log" | head -n 80
    fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
