#!/bin/sh
# closeloop report --send against a real SMTP server (aiosmtpd): STARTTLS
# with a test CA and AUTH, once per ISO week (mail log), --force, the
# message parsed back by Python's email package; the file transport.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/mail-lib.sh"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
DB="$T/c.db"
sh "$TOP/tests/helpers/mkcert.sh" "$T/certs" || fail "mkcert"
smtpd_start "$T/srv" --tls-cert "$T/certs/localhost.pem" --tls-key "$T/certs/localhost.key" \
    --auth closeloop:pa55word
printf 'pa55word\n' > "$T/pw"; chmod 600 "$T/pw"
cat > "$T/conf" <<CONF
[closeloop]
timezone = Europe/Berlin
[people]
ana = Ana Lima <ana@example.com>
[mail]
transport = smtp
host = localhost
port = $PORT
tls = starttls
ca_file = $T/certs/ca.pem
user = closeloop
password_file = $T/pw
from = "Close Loop, bot" <closeloop@example.com>
timeout_s = 5
connect_timeout_s = 2
[report]
to = "Müller, Jörg" <joerg@example.com>, eng-meeting@example.com
CONF
C="$CL -c $T/conf -d $DB"
expect_rc 0 $C init
expect_rc 0 $C import "$TOP/tests/fixtures/mail"

expect_rc 0 $C -v report --send
expect_in "$T/err" "report 2024-W12 sent to 2 of 2 recipients"
[ ! -s "$T/out" ] || fail "report --send printed to stdout"
mailcheck "$T/srv" --count 1 --tls --auth closeloop \
    --rcpt joerg@example.com --rcpt eng-meeting@example.com \
    --subject "Post-mortem action items, week 2024-W12: 6 open, 3 overdue" \
    --to-name "Müller, Jörg" \
    --structure "multipart/mixed(multipart/alternative(text/plain,text/html),text/csv)" \
    --text " 19d  cache-stampede.1  Add request coalescing to the product cache" \
    --text "Sent by closeloop for 2024-W12." \
    --html "<h1 style=" --html "&lt;script&gt;"
# the complete list as a CSV attachment, the same as report --format csv
$PY - "$T/srv/001.eml" <<'PY' || fail "csv attachment"
import csv, email, email.policy, io, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
att = [p for p in m.iter_attachments()]
assert [a.get_filename() for a in att] == ["closeloop-2024-W12.csv"], att
rows = list(csv.DictReader(io.StringIO(att[0].get_content())))
assert len(rows) == 6 and rows[0]["id"], rows
assert {r["id"] for r in rows if r["state"] == "overdue"} == \
    {"cache-stampede.1", "cache-stampede.3", "cache-stampede.4"}, rows
PY
$PY - "$T/srv/001.eml" <<'PY' || fail "From header"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
a = m["From"].addresses[0]
assert (a.display_name, a.addr_spec) == ("Close Loop, bot", "closeloop@example.com"), a
assert m["Date"].datetime.isoformat() == "2024-03-20T09:00:00+00:00", m["Date"]
PY

# the same week again: nothing sent, exit 0, -v says so
expect_rc 0 $C -v report --send
expect_in "$T/err" "already sent"
[ "$(ls "$T/srv"/*.eml | wc -l)" -eq 1 ] || fail "second --send sent again"
expect_rc 0 $C report --send
[ ! -s "$T/err" ] || fail "quiet without -v: $(cat "$T/err")"
# --force sends it again; another week is another report
expect_rc 0 $C report --send --force
expect_rc 0 $C report --send --week 2024-W11
[ "$(ls "$T/srv"/*.eml | wc -l)" -eq 3 ] || fail "expected 3 messages"
[ "$(events "$T/srv" starttls)" -eq 3 ] || fail "3 STARTTLS sessions expected"
n=$(sqlite3 "$DB" "SELECT count(*) FROM mail_log WHERE kind='report' AND status='sent'")
[ "$n" -eq 6 ] || fail "mail log has $n sent rows, want 6"

# no [report] to: configuration error
grep -v '^to = ' "$T/conf" > "$T/conf2"
expect_rc 78 "$CL" -c "$T/conf2" -d "$DB" report --send --force
expect_in "$T/err" "[report] to"

# file transport: one .eml per message in the outbox
cat > "$T/conf3" <<CONF
[mail]
transport = file
outbox = $T/outbox
from = closeloop@example.com
[report]
to = eng@example.com
CONF
expect_rc 0 "$CL" -c "$T/conf3" -d "$T/c3.db" init
expect_rc 0 "$CL" -c "$T/conf3" -d "$T/c3.db" import "$TOP/tests/fixtures/mail"
expect_rc 0 "$CL" -c "$T/conf3" -d "$T/c3.db" report --send
mailcheck "$T/outbox" --count 1 --subject "Post-mortem action items, week 2024-W12: 6 open, 3 overdue" \
    --structure "multipart/mixed(multipart/alternative(text/plain,text/html),text/csv)"
expect_rc 0 "$CL" -c "$T/conf3" -d "$T/c3.db" report --send
[ "$(ls "$T/outbox"/*.eml | wc -l)" -eq 1 ] || fail "file transport resent"
echo "t41 ok"
