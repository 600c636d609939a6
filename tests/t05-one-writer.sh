#!/bin/sh
# The shape of the store's code: items change only through lib/item-store.c
# (their row and its history together; tests/check_sync.c one_writer_history
# shows the rule on every path), and cmd/ holds no SQL (cmd-status.c is
# the exception still being moved).
. "$(dirname "$0")/lib.sh"
cd "$TOP"
# C string literals only: comments may name the statements
bad=$(grep -n 'UPDATE items\b\|INTO history\b' lib/*.c lib/*/*.c cmd/*.c | grep -v '^lib/item-store\.c:' |
      grep '"[^"]*\(UPDATE items\|INTO history\)')
[ -z "$bad" ] || fail "items or history written outside lib/item-store.c:
$bad"
bad=$(grep -n '"[^"]*\b\(SELECT\|INSERT\|UPDATE\|DELETE\) \|sqlite3_\|cl_store_prepare\|cl_store_cached\|cl_store_exec' \
      cmd/*.c | grep -v '^cmd/cmd-status\.c:')
[ -z "$bad" ] || fail "SQL in cmd/:
$bad"
echo "t05: ok"
