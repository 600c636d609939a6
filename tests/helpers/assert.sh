# assert.sh — the assertions of the shell tests (sourced by tests/lib.sh and
# tests/helpers/source-lib.sh); $T is the test's temp dir, fail() its exit.
# expect_rc WANT CMD...: runs CMD, output in $T/out and $T/err
expect_rc() {
    want=$1; shift
    "$@" > "$T/out" 2> "$T/err"
    got=$?
    [ "$got" -eq "$want" ] || { cat "$T/out" "$T/err" >&2; fail "'$*' exited $got, want $want"; }
}
# expect_in FILE TEXT: FILE contains TEXT
expect_in() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "'$2' not in $1"; }; }
expect_not_in() { ! grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "'$2' unexpectedly in $1"; }; }
