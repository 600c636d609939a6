#!/bin/sh
# closeloop config check: one line per check with what to do, against the
# fake GitHub (an authenticated read-only request: nothing written) and a
# real SMTP server (aiosmtpd: EHLO, STARTTLS with the test CA, AUTH; no MAIL
# command ever reaches it); a refused token is 77, a tracker or server that
# is down 75, a wrong password 77, a missing source 66.
. "$(dirname "$0")/helpers/sync-lib.sh"
. "$ROOT/tests/mail-lib.sh"
TOP=$ROOT
trap 'smtpd_stop; cleanup' EXIT

start_fake
sh "$ROOT/tests/helpers/mkcert.sh" "$T/certs" > /dev/null 2>&1 || fail mkcert
smtpd_start "$T/srv" --tls-cert "$T/certs/localhost.pem" --tls-key "$T/certs/localhost.key" \
    --auth closeloop:pa55word
printf 'pa55word\n' > "$T/pw"; chmod 600 "$T/pw"
mkdir -p "$T/pm"
write_config github "$FAKE" acme/ops "
[mail]
transport = smtp
host = localhost
port = $PORT
tls = starttls
ca_file = $T/certs/ca.pem
user = closeloop
password_file = $T/pw
from = closeloop <closeloop@example.com>
timeout_s = 5"
sed -i "0,/^timezone = UTC$/s||timezone = UTC\nsources = $T/pm|" "$T/config"

# check WANT_RC: runs config check, output in $T/out
check() {
    "$CL" config check > "$T/out" 2> "$T/err"; rc=$?
    [ "$rc" = "$1" ] || { cat "$T/out" "$T/err"; fail "config check exited $rc, want $1"; }
}
line() { grep -q -- "$1" "$T/out" || { cat "$T/out"; fail "no line '$1'"; }; }

# before init: the database is missing (66) and says how to create it
check 66
line "^FAIL  database  $T/closeloop.db does not exist yet"
line "run 'closeloop init'"
"$CL" init > /dev/null 2>&1 || fail init
admin /_admin/reset-counts > /dev/null
check 0
line "^ok    config    $T/config: every key and value valid"
line "^ok    database  $T/closeloop.db: schema [0-9]*, 0 items"
line "^ok    tracker   github acme/ops: authenticated"
line "^ok    mail      localhost:$PORT answers, STARTTLS verified, AUTH as closeloop; nothing sent"
line "^ok    source    $T/pm: directory"
[ "$(stat 'd["by_method"].get("POST",0) + d["by_method"].get("PATCH",0)')" = 0 ] || fail "config check wrote to the tracker"
[ "$(stat 'd["requests"]')" -ge 1 ] || fail "config check sent no request to the tracker"
[ "$(events "$T/srv" starttls)" -ge 1 ] || fail "no STARTTLS seen by the server"
[ "$(events "$T/srv" auth-ok)" -ge 1 ] || fail "no AUTH seen by the server"
[ "$(events "$T/srv" mail)" = 0 ] || fail "config check sent MAIL"
ls "$T/srv"/*.eml > /dev/null 2>&1 && fail "config check sent a message"
echo "ok: every check passes; nothing written to the tracker, no message sent"

# secrets as systemd credentials: token_file = ${CREDENTIALS_DIRECTORY}/...
mkdir -p "$T/creds"; printf '%s\n' "$CL_TEST_TOKEN" > "$T/creds/tracker-token"
chmod 400 "$T/creds/tracker-token"
sed -i "s|^token_env = CL_TEST_TOKEN$|token_file = \${CREDENTIALS_DIRECTORY}/tracker-token|" "$T/config"
grep -q 'CREDENTIALS_DIRECTORY' "$T/config" || fail "no credential in the config"
CREDENTIALS_DIRECTORY="$T/creds" check 0
line "^ok    tracker   github acme/ops: authenticated"
"$CL" config check > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 78 ] || fail "credential without \$CREDENTIALS_DIRECTORY: exit $rc, want 78"
grep -q 'CREDENTIALS_DIRECTORY, which is not set' "$T/err" || { cat "$T/err"; fail "unset credentials dir not named"; }
sed -i "s|^token_file = .*|token_env = CL_TEST_TOKEN|" "$T/config"
echo "ok: a token from \$CREDENTIALS_DIRECTORY (systemd LoadCredential)"

# a refused token: 77 with what to do
CL_TEST_TOKEN=wrong check 77
line "^FAIL  tracker"
line "refused the credentials"
# a wrong password: 77
printf 'wrong\n' > "$T/pw"
check 77
line "^FAIL  mail      AUTH as closeloop refused"
printf 'pa55word\n' > "$T/pw"
# a missing source: 66
sed -i "s|^sources = .*|sources = $T/pm, $T/nowhere|" "$T/config"
check 66
line "^FAIL  source    $T/nowhere: not found"
line "^ok    source    $T/pm: directory"
sed -i "s|^sources = .*|sources = $T/pm|" "$T/config"
# everything down: 75
smtpd_stop
sed -i "s|^url = .*|url = http://127.0.0.1:9|" "$T/config"
check 75
line "^FAIL  tracker"
line "^FAIL  mail"
line "is the SMTP server up"
echo "ok: refused token 77, wrong password 77, missing source 66, services down 75"
# a bad value is the config's error, named with file and line
printf '[nag]\nevery_days = seven\n' >> "$T/config"
"$CL" config check > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 78 ] || fail "bad value: config check exited $rc"
grep -q "config:[0-9]*: \[nag\] every_days" "$T/err" || fail "no FILE:LINE for the bad value"
echo "ok: a bad value exits 78 naming FILE:LINE"
echo "t89: ok"
