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
. "$TOP/tests/helpers/assert.sh"
