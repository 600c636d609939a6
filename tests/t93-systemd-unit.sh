#!/bin/sh
# contrib/systemd/closeloop.service as systemd would run it: the unit and
# the timer verify cleanly (systemd-analyze); every secret the unit's
# comments, README.md and closeloop.conf(5) tell to name as
# ${CREDENTIALS_DIRECTORY}/ID has its LoadCredential=ID; and ExecStart, with
# $CREDENTIALS_DIRECTORY holding the credentials (config, tracker token,
# SMTP password, mode 0400) and the unit's XDG_DATA_HOME, reads the token
# and the password from there: an authenticated request to the fake GitHub,
# AUTH against a real SMTP server (aiosmtpd), then a full run.
. "$(dirname "$0")/helpers/sync-lib.sh"
TOP=$ROOT
. "$ROOT/tests/mail-lib.sh"
trap 'smtpd_stop; cleanup' EXIT
UNIT="$TOP/contrib/systemd/closeloop.service"

# --- the unit and the timer verify without a warning --------------------------
command -v systemd-analyze > /dev/null || fail "systemd-analyze missing (contrib/install-deps.sh --test)"
mkdir -p "$T/unit"
sed "s|/usr/local/bin/closeloop|$CL|" "$UNIT" > "$T/unit/closeloop.service"
cp "$TOP/contrib/systemd/closeloop.timer" "$T/unit/"
systemd-analyze verify --man=no "$T/unit/closeloop.service" "$T/unit/closeloop.timer" \
    > "$T/verify.out" 2>&1 || { cat "$T/verify.out"; fail "systemd-analyze verify failed"; }
[ -s "$T/verify.out" ] && { cat "$T/verify.out"; fail "systemd-analyze verify warned"; }
ok "the unit and the timer verify"

# --- each credential the docs name is loaded by the unit ----------------------
creds=$(sed -n 's/^LoadCredential=\([^:]*\):.*/\1/p' "$UNIT")
for id in config tracker-token smtp-password; do
    echo "$creds" | grep -qx "$id" || fail "no LoadCredential=$id in the unit"
done
named=$(cat "$UNIT" "$TOP/README.md" "$TOP/docs/closeloop.conf.5" |
        grep -o 'CREDENTIALS_DIRECTORY}/[a-z\\-]*' | sed -e 's|.*/||' -e 's|\\||g' | sort -u)
[ -n "$named" ] || fail "the docs name no credential"
for id in $named; do
    echo "$creds" | grep -qx "$id" || fail "the docs name \${CREDENTIALS_DIRECTORY}/$id, the unit loads no $id"
done
grep -q '^ExecStart=.* -c \${CREDENTIALS_DIRECTORY}/config run$' "$UNIT" ||
    fail "ExecStart does not read the config credential"
ok "every credential the docs name is a LoadCredential ($(echo $creds)); ExecStart reads the config one"

# --- ExecStart with the credentials, as systemd hands them over ---------------
start_fake
sh "$ROOT/tests/helpers/mkcert.sh" "$T/certs" > /dev/null 2>&1 || fail mkcert
smtpd_start "$T/srv" --tls-cert "$T/certs/localhost.pem" --tls-key "$T/certs/localhost.key" \
    --auth closeloop:cred-pa55word
CREDS="$T/run/credentials/closeloop.service"
mkdir -p "$CREDS" "$T/pm"
# the secret lines exactly as the unit's comments give them
tok_line=$(sed -n 's/^#   \[tracker\] \(token_file = .*\)/\1/p' "$UNIT")
pw_line=$(sed -n 's/^#   \[mail\] \(password_file = .*\)/\1/p' "$UNIT")
[ -n "$tok_line" ] && [ -n "$pw_line" ] || fail "the unit's comments give no token_file / password_file line"
cat > "$CREDS/config" <<CFG
[closeloop]
timezone = UTC
sources = $T/pm

[tracker]
kind = github
url = $FAKE
project = acme/ops
$tok_line
min_interval_ms = 0
retries = 0
timeout_s = 5

[mail]
transport = smtp
host = localhost
port = $PORT
tls = starttls
ca_file = $T/certs/ca.pem
user = closeloop
$pw_line
from = closeloop <closeloop@example.com>
timeout_s = 5

[people]
alice = Alice Doe <alice@example.com>
CFG
printf '%s\n' "$CL_TEST_TOKEN" > "$CREDS/tracker-token"
printf 'cred-pa55word\n' > "$CREDS/smtp-password"
chmod 0400 "$CREDS"/*
printf '# Outage - 2024-03-11\n\nWritten: 2024-03-12\n\n## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n| Fix it | alice | 2099-04-01 |\n' > "$T/pm/outage.md"
# the environment the unit sets, nothing of the test's own
execstart=$(sed -n 's/^ExecStart=//p' "$T/unit/closeloop.service")
state=$(sed -n 's/^Environment=XDG_DATA_HOME=//p' "$UNIT")
[ "$state" = /var/lib/closeloop ] || fail "the unit's XDG_DATA_HOME is '$state'"
unit_env() {
    env -i PATH=/usr/bin:/bin HOME=/nonexistent XDG_DATA_HOME="$T/state" \
        CREDENTIALS_DIRECTORY="$CREDS" "$@"
}
# config check first: the same command line, `config check` for `run`
cmdline=$(echo "$execstart" | sed "s|\${CREDENTIALS_DIRECTORY}|$CREDS|g")
# shellcheck disable=SC2086
unit_env ${cmdline%run} config check > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 66 ] || { cat "$T/out" "$T/err"; fail "config check before the first run exited $rc, want 66 (no database)"; }
grep -q "^ok    tracker   github acme/ops: authenticated" "$T/out" || { cat "$T/out"; fail "token credential not used"; }
grep -q "^ok    mail      .*AUTH as closeloop" "$T/out" || { cat "$T/out"; fail "password credential not used"; }
# shellcheck disable=SC2086
unit_env $cmdline > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 0 ] || { cat "$T/out" "$T/err"; fail "ExecStart exited $rc"; }
[ -f "$T/state/closeloop/closeloop.db" ] || fail "the database is not in the unit's StateDirectory"
[ "$(stat 'd["by_method"].get("POST",0)')" -ge 1 ] || fail "the run created no issue with the token credential"
# shellcheck disable=SC2086
unit_env ${cmdline%run} config check > "$T/out" 2> "$T/err" || { cat "$T/out" "$T/err"; fail "config check after the run"; }
# without the credentials directory: a configuration error naming it
# shellcheck disable=SC2086
env -i PATH=/usr/bin:/bin XDG_DATA_HOME="$T/state" ${cmdline%run} config check > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 78 ] || { cat "$T/out" "$T/err"; fail "without \$CREDENTIALS_DIRECTORY: exit $rc, want 78"; }
grep -q 'CREDENTIALS_DIRECTORY, which is not set' "$T/err" || { cat "$T/err"; fail "the unset variable is not named"; }
ok "ExecStart reads the config, the token and the SMTP password from \$CREDENTIALS_DIRECTORY"
echo "t93: ok"
