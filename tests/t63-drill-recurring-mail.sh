#!/bin/sh
# Recurring drill invites by mail (issue 17 point 4: "every VTIMEZONE RRULE
# twice on --send") through exim and aiosmtpd: every path that mails an
# invite — schedule, reschedule (also into another zone), cancel, the
# re-send of a deferred attendee by run, and a proposal sent by run — in
# Europe/Berlin, America/New_York and Australia/Sydney with --every month,
# quarter and 12 months, three attendees in one SMTP session. Each
# delivered message is read from the server's own store: in both copies of
# its calendar (inline text/calendar and the invite.ics attachment) no
# component has RRULE twice, the copies are the same, and the VTIMEZONE is
# the one the dry run printed; python3-icalendar reads the event's RRULE.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/mta-pair.sh"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
IC="$PY $TOP/tests/helpers/icalcheck.py"

mkdir -p "$T/pm"
cp "$TOP/tests/fixtures/drill/dr.md" "$T/pm/"
# conf ZONE: the config for a server of kind $KIND at $PORT
conf() {
    cat > "$T/conf" <<CONF
[closeloop]
timezone = $1
[people]
lena = Lena Nov <lena@ok.example>
rex = Rex Roe <rex@ok.example>
ann = Ann Lee <ann@ok.example>
liz = Liz Lee <liz@later.example>
[mail]
host = localhost
port = $PORT
tls = starttls
ca_file = $T/certs/ca.pem
user = cltest
password_file = $T/pw
from = closeloop <closeloop@ok.example>
timeout_s = 5
connect_timeout_s = 2
[drill]
organizer = SRE <sre@ok.example>
after_close_days = 7
CONF
}
# new_mail NAME: the invites the server stored since the last call, into
# $T/got/NAME (a Maildir for exim); prints how many
SEEN="$T/seen"; : > "$SEEN"
new_mail() {
    out="$T/got/$1"; mkdir -p "$out/new"
    [ "$KIND" = exim ] && exim_wait_idle "$SD"
    n=0
    for f in $(if [ "$KIND" = exim ]; then ls "$MD"/new/* 2>/dev/null; else ls "$MD"/*.eml 2>/dev/null; fi); do
        grep -qxF "$f" "$SEEN" && continue
        echo "$f" >> "$SEEN"
        grep -qi "^Content-Type: text/calendar" "$f" || continue	# run's reminders
        n=$((n + 1))
        if [ "$KIND" = exim ]; then cp "$f" "$out/new/"; else cp "$f" "${f%.eml}.json" "$out/"; fi
    done
    echo $n
}
# msgs N: what N recipients of one message leave in the store (exim: a file
# each; smtpd.py: one file with its envelope)
msgs() { if [ "$KIND" = exim ]; then echo "$1"; else echo 1; fi; }
# check NAME DRYFILE METHOD: every message of new_mail NAME is sound
check() {
    if [ "$KIND" = exim ]; then set -- "$T/got/$1" --maildir --vtimezone-as "$2" --calendar-method "$3"
    else set -- "$T/got/$1" --vtimezone-as "$2" --calendar-method "$3"; fi
    mailcheck "$@" --rrule-once
}
# dry FILE CMD...: the calendar a dry run prints
dry() { f=$1; shift; expect_rc 0 "$@"; cp "$T/out" "$f"; grep -q "^BEGIN:VTIMEZONE" "$f" || fail "$KIND: no VTIMEZONE in the dry run of $*"; }

for KIND in exim aiosmtpd; do
    echo "== $KIND"
    srv_start --tls localhost
    touch "$SD/defer"
    n=0
    for case in "Europe/Berlin|month|FREQ=MONTHLY" "America/New_York|quarter|FREQ=MONTHLY;INTERVAL=3" \
                "Australia/Sydney|12 months|FREQ=MONTHLY;INTERVAL=12"; do
        n=$((n + 1))
        zone=${case%%|*}; rest=${case#*|}; every=${rest%%|*}; rule=${rest#*|}
        conf "$zone"
        DB="$T/$KIND-db$n"; C="$CL -c $T/conf -d $DB"
        expect_rc 0 $C init
        expect_rc 0 $C import "$T/pm"
        # schedule: three attendees in one session (and liz, deferred, in
        # the first zone); the dry run first
        set -- --attendee lena --attendee rex --attendee ann
        [ $n -eq 1 ] && set -- "$@" --attendee liz
        dry "$T/dry-s$n" $C drill schedule dr --at "2024-04-03 15:00" --every "$every" "$@"
        if [ $n -eq 1 ]; then want=75; else want=0; fi
        s0=$(sessions)
        expect_rc $want $C drill schedule dr --at "2024-04-03 15:00" --every "$every" "$@" --send
        [ "$(sessions)" -eq $((s0 + 1)) ] || fail "$KIND: $(($(sessions) - s0)) SMTP sessions for one invite"
        [ "$(new_mail "s$n")" -eq "$(msgs 3)" ] || fail "$KIND $zone: schedule delivered $(ls "$T/got/s$n" "$T/got/s$n/new" | wc -l), want 3"
        check "s$n" "$T/dry-s$n" REQUEST
        cp "$(ls "$T/got/s$n"/new/* "$T/got/s$n"/*.eml 2>/dev/null | head -n 1)" "$T/one.eml"
        $IC "$T/one.eml" --rrule "$rule" --tzid "$zone" --attendees $(($# / 2)) --sequence 0 || fail "$KIND $zone: invite"
        if [ $n -eq 1 ]; then
            # the deferred attendee gets it from run, alone, as first built
            rm -f "$SD/defer"
            expect_rc 0 $C run
            [ "$(new_mail "r$n")" -eq 1 ] || fail "$KIND: run did not re-send the deferred invite"
            check "r$n" "$T/dry-s$n" REQUEST
            [ "$(delivered liz@later.example)" -eq 1 ] || fail "$KIND: liz never got the invite"
        fi
        # reschedule (in the third zone into another zone), then cancel
        set --
        [ $n -eq 3 ] && set -- --tz Europe/Berlin
        dry "$T/dry-u$n" $C drill reschedule 1 --at "2024-04-17 10:00" "$@"
        expect_rc 0 $C drill reschedule 1 --at "2024-04-17 10:00" "$@" --send
        [ "$(new_mail "u$n")" -ge "$(msgs 3)" ] || fail "$KIND $zone: update not delivered"
        check "u$n" "$T/dry-u$n" REQUEST
        dry "$T/dry-c$n" $C drill cancel 1
        expect_rc 0 $C drill cancel 1 --send
        [ "$(new_mail "c$n")" -ge "$(msgs 3)" ] || fail "$KIND $zone: cancellation not delivered"
        check "c$n" "$T/dry-c$n" CANCEL
    done
    # a proposal sent by run (all items done, after_close_days later)
    export CLOSELOOP_NOW=2024-03-21T09:00:00Z
    expect_rc 0 $C done dr.1
    export CLOSELOOP_NOW=2024-03-25T07:00:00Z
    dry "$T/dry-p" $C drill propose
    expect_rc 0 $C run
    [ "$(new_mail p)" -ge 1 ] || fail "$KIND: run sent no proposal"
    check p "$T/dry-p" REQUEST
    export CLOSELOOP_NOW=2024-03-20T09:00:00Z
    srv_stop
    echo "ok: $KIND: recurring invites carry every RRULE once on every path"
done
echo "t63: ok"
