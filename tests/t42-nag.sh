#!/bin/sh
# closeloop nag: one reminder per owner with only their items, cadence from
# the mail log, escalation to the lead, owners without an address skipped;
# sent through a real SMTP server (aiosmtpd, tls = none set explicitly).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/mail-lib.sh"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
DB="$T/c.db"
smtpd_start "$T/srv"
cat > "$T/conf" <<CONF
[closeloop]
timezone = Europe/Berlin
[people]
ana = Ana Lima <ana@example.com>
ana.lead = bob
bob = Bob Stone <bob@example.com>
dora = Dora Kim <dora@example.com>
[mail]
host = 127.0.0.1
port = $PORT
tls = none
from = closeloop <closeloop@example.com>
[nag]
due_soon_days = 3
every_days = 7
escalate_after_days = 14
CONF
C="$CL -c $T/conf -d $DB"
expect_rc 0 $C init
expect_rc 0 $C import "$TOP/tests/fixtures/mail"

# without --send: prints what it would send, sends nothing
expect_rc 0 $C nag
expect_in "$T/out" "To: Ana Lima <ana@example.com>"
expect_in "$T/out" "Subject: Reminder: 1 overdue post-mortem action item"
expect_in "$T/out" "1 of your post-mortem action items is overdue"
expect_in "$T/out" " 19d  cache-stampede.1  Add request coalescing to the product cache  cache stampede after the Redis failover - 2024-03-01  2024-03-01  https://tracker.example.com/CACHE-7"
expect_in "$T/out" "  cache-stampede.2  Alert on cache hit ratio below 80%  cache stampede after the Redis failover - 2024-03-01  2024-03-22"
expect_in "$T/out" "also reported to Bob Stone"
expect_in "$T/out" "To: Bob Stone <bob@example.com>
Subject: Escalation: 1 action item of Ana Lima overdue more than 14 days"
expect_in "$T/out" "# carl: no e-mail address in [people]"
expect_not_in "$T/out" "dora"
[ ! -f "$T/srv/events.log" ] || [ "$(events "$T/srv" connect)" -eq 0 ] || fail "nag without --send connected"

expect_rc 0 $C -v nag --send
expect_in "$T/err" "3 reminders sent"
expect_in "$T/err" "carl: no e-mail address"
[ "$(events "$T/srv" connect)" -eq 1 ] || fail "reminders not in one session"
mailcheck "$T/srv" --count 3 --subject "Reminder: 1 overdue post-mortem action item" \
    --subject "Escalation: 1 action item of Ana Lima overdue more than 14 days" \
    --structure "multipart/alternative(text/plain,text/html)"
# each owner's message lists only their items
$PY - "$T/srv" <<'PY' || fail "per-owner content"
import email, email.policy, glob, json, sys
msgs = {}
for p in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_bytes(open(p, "rb").read(), policy=email.policy.default)
    env = json.load(open(p[:-4] + ".json"))
    text = m.get_body(("plain",)).get_content()
    html = m.get_body(("html",)).get_content()
    assert "<script" not in html, html
    # one writer: the HTML is well-formed, styled inline, and says what the
    # text says (every item id and action, escaped); tracker links as links
    import html as H, re, xml.etree.ElementTree as ET
    ET.fromstring(html.split("\n", 1)[1])
    assert '<meta charset="utf-8" />' in html and "<colgroup>" in html, html
    found = re.findall(r"  ([a-z-]+\.\d+)  (.+?)  ", text)
    assert found, text
    for key, action in found:
        assert H.escape(key) in html and H.escape(action) in html, (key, action, html)
    if "CACHE-7" in text:
        assert '<a href="https://tracker.example.com/CACHE-7"' in html, html
    msgs.setdefault(env["rcpt_tos"][0], []).append((str(m["Subject"]), text))
assert sorted(msgs) == ["ana@example.com", "bob@example.com"], msgs.keys()
(subj, text), = msgs["ana@example.com"]
assert "Add request coalescing" in text and "Alert on cache hit ratio" in text, text
assert "Load-test" not in text and "TTL jitter" not in text, text
bob = dict(msgs["bob@example.com"])
own = bob["Reminder: 1 overdue post-mortem action item"]
assert "Load-test the failover path <script>" in own and "coalescing" not in own, own
esc = bob["Escalation: 1 action item of Ana Lima overdue more than 14 days"]
assert "Add request coalescing" in esc and "Alert on cache" not in esc, esc
PY

# cadence: the same day again sends nothing; 8 days later it does
expect_rc 0 $C -v nag --send
expect_in "$T/err" "0 reminders sent"
expect_in "$T/err" "ana: reminded at 2024-03-20T09:00:00Z"
CLOSELOOP_NOW=2024-03-24T09:00:00Z expect_rc 0 $C nag --send
[ "$(ls "$T/srv"/*.eml | wc -l)" -eq 3 ] || fail "resent inside the cadence"
CLOSELOOP_NOW=2024-03-28T09:00:00Z expect_rc 0 $C -v nag --send
expect_in "$T/err" "3 reminders sent"
[ "$(ls "$T/srv"/*.eml | wc -l)" -eq 6 ] || fail "not resent after every_days"

# escalate_to when the owner has no lead of their own
grep -v '^ana.lead' "$T/conf" > "$T/conf2"
printf 'escalate_to = SRE Managers <sre-managers@example.com>\n' >> "$T/conf2"
CLOSELOOP_NOW=2024-04-05T09:00:00Z expect_rc 0 "$CL" -c "$T/conf2" -d "$DB" nag
expect_in "$T/out" "To: SRE Managers <sre-managers@example.com>"
expect_in "$T/out" "also reported to SRE Managers"

# a closed item is not nagged about
expect_rc 0 $C done cache-stampede.3
CLOSELOOP_NOW=2024-04-10T09:00:00Z expect_rc 0 $C nag
expect_not_in "$T/out" "Load-test"
expect_rc 0 $C nag --help
expect_in "$T/out" "every_days"
echo "t42 ok"
