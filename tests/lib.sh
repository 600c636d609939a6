# tests/lib.sh — shared by the shell tests: a private temp dir, config and
# database, and assertions that say what failed.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
CL="$TOP/closeloop"
T=$(mktemp -d /tmp/cltest.XXXXXX)
trap 'rm -rf "$T"' EXIT
export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" XDG_DATA_HOME="$T/home/.local/share"
unset CLOSELOOP_CONFIG CLOSELOOP_NOW
mkdir -p "$HOME"
PY=/usr/bin/python3

fail() { echo "FAIL: $*" >&2; exit 1; }
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
