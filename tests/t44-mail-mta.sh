#!/bin/sh
# Mail faults against a real MTA (exim4-daemon-heavy, tests/helpers/exim.sh)
# and against aiosmtpd (tests/helpers/smtpd.py), the same cases for both:
# STARTTLS with a test CA for a certificate naming only localhost and one
# naming only 127.0.0.1, an untrusted certificate and one for another host
# (69 with OpenSSL's verdict, also with AUTH configured), no STARTTLS (69),
# AUTH PLAIN only and AUTH LOGIN only (0), a wrong password (77, nothing
# delivered), a 550 domain (69, the others get it), a 451 domain (75; the
# next run delivers only the deferred recipient), the server stopped (75),
# several messages in one session, EHLO with a fully qualified name or
# [mail] helo. What was delivered is read from the server's own records
# (exim's main log and Maildir; smtpd.py's envelope files), not from
# closeloop's output. exim missing is a failure, never a skip.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/mta-pair.sh"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
# conf HOST TLS [USER [TO]]
conf() {
    cat > "$T/conf" <<CONF
[closeloop]
timezone = Europe/Berlin
[people]
ana = Ana Lima <ana@ok.example>
bob = Bob Stone <bob@ok.example>
carl = Carl Berg <carl@ok.example>
dora = Dora Kim <dora@ok.example>
[mail]
host = $1
port = $PORT
tls = $2
ca_file = $T/certs/ca.pem
from = closeloop <closeloop@ok.example>
timeout_s = 5
connect_timeout_s = 2
CONF
    [ -n "${3:-}" ] && printf 'user = %s\npassword_file = %s\n' "$3" "$T/pw" >> "$T/conf"
    printf '[report]\nto = %s\n' "${4:-ana@ok.example, lee@later.example}" >> "$T/conf"
}
NDB=0
fresh_db() {
    NDB=$((NDB + 1)); DB="$T/db$NDB"
    C="$CL -c $T/conf -d $DB"
    expect_rc 0 $C init
    expect_rc 0 $C import "$TOP/tests/fixtures/mail"
}

for KIND in exim aiosmtpd; do
    echo "== $KIND"
    # STARTTLS, certificate for localhost only, AUTH: delivered, parses,
    # EHLO with a fully qualified name or an address literal
    srv_start --tls localhost
    conf localhost starttls cltest ana@ok.example
    fresh_db
    expect_rc 0 $C report --send
    [ "$(delivered ana@ok.example)" -eq 1 ] || fail "$KIND: report not delivered"
    check_mail --count 1 --subject "Post-mortem action items, week 2024-W12: 6 open, 3 overdue"
    ehlo_names > "$T/ehlo"
    grep -qv '^[[:alnum:]-]*$' "$T/ehlo" || { cat "$T/ehlo"; fail "$KIND: EHLO with a bare host name"; }
    # [mail] helo sets it
    printf '[mail]\n' > /dev/null
    sed -i 's/^\[mail\]$/[mail]\nhelo = client.closeloop.test/' "$T/conf"
    expect_rc 0 $C report --send --force
    ehlo_names | grep -qx "client.closeloop.test" || fail "$KIND: [mail] helo not used"
    sed -i 's/^helo = .*/helo = vm/' "$T/conf"
    expect_rc 78 $C report --send --force
    expect_in "$T/err" "[mail] helo"
    # the certificate names localhost only: 127.0.0.1 does not match it
    conf 127.0.0.1 starttls cltest ana@ok.example
    expect_rc 69 $C report --send --force
    expect_in "$T/err" "certificate is for localhost, not 127.0.0.1"
    srv_stop

    # a certificate naming only 127.0.0.1: host = 127.0.0.1 verifies (IP SAN)
    srv_start --tls ip
    conf 127.0.0.1 starttls cltest ana@ok.example
    fresh_db
    expect_rc 0 $C report --send
    [ "$(delivered ana@ok.example)" -eq 1 ] || fail "$KIND: not delivered to an IP-named server"
    conf localhost starttls cltest ana@ok.example
    expect_rc 69 $C report --send --force
    expect_in "$T/err" "certificate is for 127.0.0.1, not localhost"
    srv_stop

    # a certificate for another host, and one from a CA nobody trusts: 69
    # with OpenSSL's verdict, not "no usable AUTH" although user is set
    srv_start --tls wronghost
    conf localhost starttls cltest ana@ok.example
    fresh_db
    expect_rc 69 $C report --send
    expect_in "$T/err" "certificate is for mail.example.org, not localhost"
    expect_not_in "$T/err" "AUTH"
    srv_stop
    srv_start --tls untrusted
    conf localhost starttls cltest ana@ok.example
    expect_rc 69 $C report --send
    expect_in "$T/err" "certificate not trusted"
    expect_not_in "$T/err" "AUTH"
    [ "$(messages)" -eq 0 ] || fail "$KIND: delivered over an untrusted TLS session"
    srv_stop

    # no STARTTLS offered, user set: 69, nothing in clear
    srv_start --no-tls --auth none
    conf localhost starttls cltest ana@ok.example
    expect_rc 69 $C report --send
    expect_in "$T/err" "does not offer STARTTLS"
    [ "$(messages)" -eq 0 ] || fail "$KIND: sent in clear"
    srv_stop

    # AUTH PLAIN only, AUTH LOGIN only: both work
    for mech in plain login; do
        srv_start --tls localhost --auth $mech
        conf localhost starttls cltest ana@ok.example
        fresh_db
        expect_rc 0 $C report --send
        [ "$(delivered ana@ok.example)" -eq 1 ] || fail "$KIND: AUTH $mech only: not delivered"
        srv_stop
    done

    # wrong password: 77, nothing delivered
    srv_start --tls localhost
    conf localhost starttls cltest ana@ok.example
    fresh_db
    printf 'wrong\n' > "$T/pw.bad"; chmod 600 "$T/pw.bad"
    sed -i "s|^password_file = .*|password_file = $T/pw.bad|" "$T/conf"
    expect_rc 77 $C report --send
    expect_in "$T/err" "authentication as 'cltest' failed"
    [ "$(messages)" -eq 0 ] || fail "$KIND: delivered after a failed AUTH"
    srv_stop

    # 550 for one domain: the others get it, exit 69, not retried
    srv_start --tls localhost
    conf localhost starttls cltest "ana@ok.example, rex@refused.example"
    fresh_db
    expect_rc 69 $C report --send
    expect_in "$T/err" "rex@refused.example"
    [ "$(delivered ana@ok.example)" -eq 1 ] || fail "$KIND: 550 for one stopped the other"
    expect_rc 0 $C report --send
    [ "$(messages)" -eq 1 ] || fail "$KIND: resent after a 550"

    # 451 for one domain: 75; the next run delivers exactly the deferred one
    conf localhost starttls cltest "ana@ok.example, lee@later.example"
    fresh_db
    expect_rc 75 $C report --send
    expect_in "$T/err" "lee@later.example"
    [ "$(delivered ana@ok.example)" -eq 2 ] || fail "$KIND: 451 for one stopped the other"
    [ "$(delivered lee@later.example)" -eq 0 ] || fail "$KIND: deferred recipient delivered"
    expect_rc 75 $C -v report --send
    expect_in "$T/err" "lee@later.example"
    rm -f "$SD/defer"
    expect_rc 0 $C -v report --send
    [ "$(delivered lee@later.example)" -eq 1 ] || fail "$KIND: deferred recipient never got the report"
    [ "$(delivered ana@ok.example)" -eq 2 ] || fail "$KIND: accepted recipient got the report twice"
    expect_rc 0 $C report --send
    [ "$(delivered lee@later.example)" -eq 1 ] || fail "$KIND: sent twice once accepted"

    # several messages in one session: reminders to four owners
    sessions_before=$(sessions)
    expect_rc 0 $C nag --send
    [ "$(delivered bob@ok.example)" -eq 1 ] && [ "$(delivered carl@ok.example)" -eq 1 ] ||
        fail "$KIND: reminders not delivered"
    if [ "$(($(sessions) - sessions_before))" -ne 1 ]; then
        tail -n 20 "$SD/events.log" "$SD/log/mainlog" 2>/dev/null
        fail "$KIND: reminders in more than one session ($sessions_before, then $(sessions))"
    fi
    check_mail --subject "Reminder: 1 overdue post-mortem action item"

    # an escalation deferred (451) while the owner's reminder went out: the
    # next run sends the lead exactly that escalation, not the owner again
    touch "$SD/defer"
    sed -i 's/^\[people\]$/[people]\nana.lead = lou\nlou = Lou Lead <lou@later.example>/' "$T/conf"
    fresh_db
    a1=$(delivered ana@ok.example)
    expect_rc 75 $C nag --send
    expect_in "$T/err" "lou@later.example"
    [ "$(delivered ana@ok.example)" -eq $((a1 + 1)) ] || fail "$KIND: owner not reminded"
    [ "$(delivered lou@later.example)" -eq 0 ] || fail "$KIND: deferred escalation delivered"
    rm -f "$SD/defer"
    expect_rc 0 $C nag --send
    [ "$(delivered lou@later.example)" -eq 1 ] || fail "$KIND: deferred escalation never reached the lead"
    [ "$(delivered ana@ok.example)" -eq $((a1 + 1)) ] || fail "$KIND: owner reminded again"
    expect_rc 0 $C nag --send
    [ "$(delivered lou@later.example)" -eq 1 ] || fail "$KIND: escalation sent twice"

    # a recurring drill invite, one attendee refused (550): the other gets
    # it with every VTIMEZONE RRULE once, exit 69, drill list shows who
    mkdir -p "$T/pm$N"
    cp "$TOP/tests/fixtures/drill/dr.md" "$T/pm$N/"
    printf '[drill]\norganizer = SRE <sre@ok.example>\n' >> "$T/conf"
    sed -i 's/^\[people\]$/[people]\nlena = Lena Nov <lena@ok.example>\nrex = Rex Roe <rex@refused.example>/' "$T/conf"
    expect_rc 0 $C import "$T/pm$N"
    expect_rc 69 $C drill schedule dr --at "2024-04-03 15:00" --every quarter --send
    expect_in "$T/err" "rex@refused.example"
    [ "$(delivered lena@ok.example)" -eq 1 ] || fail "$KIND: invite not delivered to the accepted attendee"
    if [ "$KIND" = exim ]; then
        d=$(grep -l "Subject: Invitation: DR drill" "$MD"/new/* | head -n 1)
        mkdir -p "$T/inv$N/new"; cp "$d" "$T/inv$N/new/"
        mailcheck "$T/inv$N" --maildir --rrule-once --calendar-method REQUEST
    else
        mkdir -p "$T/inv$N"; cp "$(grep -l "^Subject: Invitation: DR drill" "$MD"/*.eml | head -n 1)" "$T/inv$N/"
        mailcheck "$T/inv$N" --rrule-once --calendar-method REQUEST
    fi
    expect_rc 0 $C drill list
    expect_in "$T/out" "refused: rex@refused.example"
    expect_rc 0 $C drill list --json
    $PY -c 'import json,sys; d=json.load(open(sys.argv[1]))["drills"][0]; assert d["refused"] == ["rex@refused.example"], d' "$T/out" ||
        fail "$KIND: drill list --json lacks the refused attendee"

    # a reminder refused for good (550) is tried once per cadence, not on
    # every run, and nag says whose it is
    expect_rc 69 $C nag --send
    expect_in "$T/err" "rex@refused.example"
    r1=$(rcpt_tries rex@refused.example)
    expect_rc 0 $C nag --send
    r2=$(rcpt_tries rex@refused.example)
    [ "$r1" = "$r2" ] || fail "$KIND: refused owner retried on the next run ($r1, $r2)"
    expect_rc 0 $C nag
    expect_in "$T/out" "# rex: reminder to <rex@refused.example> refused"
    CLOSELOOP_NOW=2024-03-28T09:00:00Z expect_rc 69 $C nag --send
    r3=$(rcpt_tries rex@refused.example)
    [ "$r3" -gt "$r2" ] || fail "$KIND: refused owner not retried after [nag] every_days"

    # an invite deferred (451) for one attendee: the drill stands (75), drill
    # list says who waits, and the next run sends exactly them the invite
    touch "$SD/defer"
    sed -i 's/^\[people\]$/[people]\nliz = Liz Lee <liz@later.example>/' "$T/conf"
    l1=$(delivered lena@ok.example)
    expect_rc 75 $C drill schedule dr --at "2024-04-10 15:00" --attendee lena --attendee liz --send
    [ "$(delivered lena@ok.example)" -eq $((l1 + 1)) ] || fail "$KIND: invite not delivered to lena"
    expect_rc 0 $C drill list
    expect_in "$T/out" "deferred: liz@later.example"
    rm -f "$SD/defer"
    expect_rc 0 $C run
    [ "$(delivered liz@later.example)" -eq 1 ] || fail "$KIND: deferred invite never sent again"
    [ "$(delivered lena@ok.example)" -eq $((l1 + 1)) ] || fail "$KIND: invite sent to lena twice"
    expect_rc 0 $C drill list
    expect_not_in "$T/out" "deferred:"
    expect_rc 0 $C run
    [ "$(delivered liz@later.example)" -eq 1 ] || fail "$KIND: invite resent after it was accepted"

    # the server stopped: 75, -vv says what happened without "(0)"
    srv_stop
    expect_rc 75 $C -v -v report --send --force
    expect_in "$T/err" "unable to connect"
    expect_not_in "$T/err" "(0)"
done
echo "t44 ok"
