# tests/mail-lib.sh — for the mail tests (sourced after lib.sh): the real
# SMTP server (tests/helpers/smtpd.py, aiosmtpd) and a config pointing at it.
SMTPD_PID=""
# smtpd_start DIR [ARGS...]: starts the server storing into DIR; sets PORT
smtpd_start() {
    dir=$1; shift
    rm -f "$T/port"
    $PY "$TOP/tests/helpers/smtpd.py" --dir "$dir" --port-file "$T/port" \
        --max-seconds 120 "$@" 2> "$T/smtpd.err" &
    SMTPD_PID=$!
    i=0
    while [ ! -s "$T/port" ]; do
        i=$((i + 1))
        [ $i -lt 200 ] || { cat "$T/smtpd.err" >&2; fail "smtpd.py did not start (python3-aiosmtpd?)"; }
        sleep 0.05
    done
    PORT=$(cat "$T/port")
}
smtpd_stop() {
    [ -n "$SMTPD_PID" ] && kill "$SMTPD_PID" 2>/dev/null && wait "$SMTPD_PID" 2>/dev/null
    SMTPD_PID=""
}
trap 'smtpd_stop; rm -rf "$T"' EXIT
# mailcheck DIR ARGS...: checks received messages with Python's email package
mailcheck() { $PY "$TOP/tests/helpers/mailcheck.py" "$@" || fail "mailcheck $*"; }
# events DIR WORD: how many protocol events of a kind the server saw
events() { grep -c "^$2\b" "$1/events.log" 2>/dev/null || true; }
