#!/bin/sh
# Mail faults through the command line, against a real SMTP server: server
# down (75, nothing recorded as sent, sent on the next run), 451 (75), one
# recipient refused with 550 (69, the others get it, recorded per
# recipient), wrong password (77, no MAIL command at all), no STARTTLS
# offered (69, nothing sent in clear), -vv traces without the password.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/mail-lib.sh"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
DB="$T/c.db"
sh "$TOP/tests/helpers/mkcert.sh" "$T/certs" || fail "mkcert"
printf 'pa55word\n' > "$T/pw"; chmod 600 "$T/pw"
# conf PORT TLS [USER]: a config for a server on PORT
conf() {
    cat > "$T/conf" <<CONF
[mail]
host = localhost
port = $1
tls = $2
ca_file = $T/certs/ca.pem
from = closeloop@example.com
timeout_s = 3
connect_timeout_s = 2
CONF
    [ -n "${3:-}" ] && printf 'user = %s\npassword_file = %s\n' "$3" "$T/pw" >> "$T/conf"
    printf '[report]\nto = ana@example.com, nobody@example.com\n' >> "$T/conf"
}
C="$CL -c $T/conf -d $DB"
sent_rows() { sqlite3 "$DB" "SELECT count(*) FROM mail_log WHERE status = 'sent'"; }

# server down: a port nobody listens on
smtpd_start "$T/srv0"; DOWN=$PORT; smtpd_stop
conf "$DOWN" none
expect_rc 0 $C init
expect_rc 0 $C import "$TOP/tests/fixtures/mail"
expect_rc 75 $C report --send
expect_in "$T/err" "unable to connect"
[ "$(sent_rows)" -eq 0 ] || fail "recorded as sent while the server was down"

# 451 at the end of DATA: temporary, nothing recorded as sent
smtpd_start "$T/srv1" --fault data451
conf "$PORT" none
expect_rc 75 $C report --send
expect_in "$T/err" "451"
[ "$(sent_rows)" -eq 0 ] || fail "recorded as sent after 451"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM mail_log WHERE status = 'deferred'")" -eq 4 ] ||
    fail "deferred attempts not logged"
smtpd_stop

# 550 for one recipient: the other gets it; the week counts as sent
smtpd_start "$T/srv2" --reject nobody@example.com
conf "$PORT" none
expect_rc 69 $C report --send
expect_in "$T/err" "nobody@example.com"
mailcheck "$T/srv2" --count 1 --rcpt ana@example.com
[ "$(sqlite3 "$DB" "SELECT status || ':' || code FROM mail_log WHERE recipient = 'nobody@example.com' AND status != 'deferred'")" = "rejected:550" ] ||
    fail "rejected recipient not recorded"
[ "$(sent_rows)" -eq 1 ] || fail "accepted recipient not recorded"
expect_rc 0 $C report --send
[ "$(ls "$T/srv2"/*.eml | wc -l)" -eq 1 ] || fail "resent after a partial delivery"
smtpd_stop

# wrong password on a server where AUTH is optional: libESMTP would fall
# through to an unauthenticated MAIL; closeloop must send nothing, exit 77
smtpd_start "$T/srv3" --tls-cert "$T/certs/localhost.pem" --tls-key "$T/certs/localhost.key" \
    --auth closeloop:other-password --auth-optional
conf "$PORT" starttls closeloop
expect_rc 77 $C report --send --force
expect_in "$T/err" "authentication"
expect_not_in "$T/err" "pa55word"
[ "$(events "$T/srv3" auth-fail)" -ge 1 ] || fail "no AUTH attempt seen"
[ "$(events "$T/srv3" mail)" -eq 0 ] || fail "MAIL sent after a failed AUTH"
[ -z "$(ls "$T/srv3"/*.eml 2>/dev/null)" ] || fail "message delivered after a failed AUTH"
smtpd_stop

# right password, -vv trace: AUTH redacted
smtpd_start "$T/srv4" --tls-cert "$T/certs/localhost.pem" --tls-key "$T/certs/localhost.key" \
    --auth closeloop:pa55word
conf "$PORT" starttls closeloop
expect_rc 0 $C -v -v report --send --force
expect_in "$T/err" "smtp> STARTTLS"
expect_in "$T/err" "smtp> AUTH "
expect_not_in "$T/err" "pa55word"
expect_not_in "$T/err" "cGE1NXdvcmQ"
mailcheck "$T/srv4" --count 1 --tls --auth closeloop
smtpd_stop

# STARTTLS required but not offered: nothing in clear, exit 69
smtpd_start "$T/srv5"
conf "$PORT" starttls
expect_rc 69 $C report --send --force
expect_in "$T/err" "does not offer STARTTLS"
[ "$(events "$T/srv5" mail)" -eq 0 ] || fail "sent in clear"
smtpd_stop

# bad [mail] settings are configuration errors
conf 25 ssl
expect_rc 78 $C report --send --force
expect_in "$T/err" "[mail] tls"
echo "t43 ok"
