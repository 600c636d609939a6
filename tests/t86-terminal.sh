#!/bin/sh
# What closeloop prints cannot drive the terminal, and its memory does not
# end up in a core dump:
#  1. control characters from documents and file names (ESC/OSC clipboard
#     and title sequences, BEL, BS, CR, a newline in a file name) come out
#     of list, show, import, lint, drill list and nag as visible \xNN
#     escapes: no raw control byte, no forged line;
#  2. once the config is loaded the process is not dumpable
#     (prctl(PR_SET_DUMPABLE, 0)): /proc/PID files of a closeloop run as
#     nobody belong to root while it waits on a stalled tracker; the
#     systemd unit sets LimitCORE=0.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/pm"
ESC=$(printf '\033')
BEL=$(printf '\007')
BS=$(printf '\010')
NL='
'
cat > "$T/config" <<CFG
[closeloop]
database = $T/closeloop.db
timezone = UTC
today = 2024-03-20

[people]
alice = Alice Doe <alice@example.com>
CFG
# a title with an OSC title sequence and BEL, actions with the OSC 52
# clipboard sequence, a backspace and a bare CR; a file name with a newline
# that would forge a lint line
printf '# Outage %s]0;pwned%s - 2024-03-01\n\nWritten: 2024-03-02\n\n## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n| Rotate %s]52;c;ZXZpbA==%s keys | alice | 2024-03-10 |\n| Fix the%s%s%s loader | alice | 2024-03-11 |\n| Add cr\rforged | alice | soon |\n' \
    "$ESC" "$BEL" "$ESC" "$BEL" "$BS" "$BS" "$BS" > "$T/pm/ctl.md"
cp "$T/pm/ctl.md" "$T/pm/x.md${NL}fake.md:1: owner-unknown: forged.md"
export CLOSELOOP_CONFIG="$T/config"
expect_rc 0 "$CL" init

# raw BYTES FILE: fails when FILE holds one of the control bytes
raw() {
    $PY - "$1" <<'PYEOF' || fail "$1 holds raw control characters"
import sys
data = open(sys.argv[1], "rb").read()
bad = sorted({b for b in data if (b < 0x20 and b not in (0x0a,)) or b == 0x7f})
if bad:
    sys.exit(f"{sys.argv[1]}: raw bytes {bad}: {data[:300]!r}")
PYEOF
}
"$CL" import "$T/pm" > "$T/import.out" 2> "$T/import.err"
raw "$T/import.out"; raw "$T/import.err"
grep -q '^fake.md:1:' "$T/import.out" && fail "a file name forged an import line"
expect_in "$T/import.out" 'x.md\x0afake.md:1:'
"$CL" lint "$T/pm" > "$T/lint.out" 2> "$T/lint.err"
raw "$T/lint.out"; raw "$T/lint.err"
grep -q '^fake.md:1:' "$T/lint.out" && fail "a file name forged a lint line"
"$CL" lint --items "$T/pm" > "$T/lint.out" 2> "$T/lint.err"
raw "$T/lint.out"; raw "$T/lint.err"
expect_in "$T/lint.out" 'in "Outage \x1b]0;pwned\x07'
grep -q '^fake.md:1:' "$T/lint.out" && fail "a file name forged a lint --items line"
expect_rc 0 "$CL" list
raw "$T/out"
expect_in "$T/out" 'Rotate \x1b]52;c;ZXZpbA==\x07 keys'
expect_in "$T/out" 'Fix the\x08\x08\x08 loader'
key=$("$CL" list --json | $PY -c 'import json,sys; print([i["id"] for i in json.load(sys.stdin)["items"] if "Rotate" in i["action"]][0])')
expect_rc 0 "$CL" show "$key"
raw "$T/out"
expect_in "$T/out" 'Outage \x1b]0;pwned\x07'
expect_rc 0 "$CL" nag
raw "$T/out"
# --json keeps the text exact (JSON escapes it)
"$CL" list --json | $PY -c 'import json,sys; a=[i["action"] for i in json.load(sys.stdin)["items"]]; assert any("\x1b]52;" in x for x in a), a' ||
    fail "list --json lost the text"
echo "ok: control characters are escaped in list, show, import, lint, lint --items and nag"

# --- 2. not dumpable ----------------------------------------------------------
$PY "$TOP/tests/helpers/hostile_http.py" --mode stall --port-file "$T/h.port" \
    --max-seconds 30 2> "$T/h.log" &
hpid=$!
trap 'kill $hpid 2>/dev/null; rm -rf "$T"' EXIT
i=0; while [ ! -s "$T/h.port" ]; do i=$((i+1)); [ $i -lt 200 ] || fail "stall server"; sleep 0.05; done
mkdir -p "$T/nobody"
cat > "$T/nobody/config" <<CFG
[closeloop]
database = $T/nobody/closeloop.db

[tracker]
kind = github
url = http://127.0.0.1:$(cat "$T/h.port")
project = acme/ops
token_env = CL_TEST_TOKEN
timeout_s = 10
retries = 0
CFG
chown -R nobody "$T/nobody"; chmod 711 "$T"
run_nobody() { CLOSELOOP_CONFIG="$T/nobody/config" CL_TEST_TOKEN=ghp_x-secret \
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
run_nobody "$CL" init > "$T/n.out" 2>&1 || { cat "$T/n.out"; fail "init as nobody"; }
CLOSELOOP_CONFIG="$T/nobody/config" CL_TEST_TOKEN=ghp_x-secret \
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$CL" sync > "$T/n.out" 2>&1 &
spid=$!
owner=""
i=0
# setpriv itself is not dumpable between its setuid and the exec: wait for
# closeloop, then for it to sit on the stalled connection
while [ $i -lt 100 ] && [ "$(cat "/proc/$spid/comm" 2>/dev/null)" != closeloop ]; do
    i=$((i + 1)); sleep 0.05
done
[ $i -lt 100 ] || fail "closeloop did not start as nobody"
sleep 1
owner=$(stat -c %u "/proc/$spid/mem" 2>/dev/null)
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
[ -n "$owner" ] || fail "sync as nobody ended before it could be looked at"
[ "$owner" = 0 ] || fail "/proc/PID/mem of closeloop run as nobody belongs to uid $owner: still dumpable"
grep -q '^LimitCORE=0$' "$TOP/contrib/systemd/closeloop.service" || fail "the unit allows core dumps"
echo "ok: not dumpable once the config is loaded; the unit sets LimitCORE=0"
echo "t86: ok"
