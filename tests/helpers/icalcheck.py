#!/usr/bin/python3
"""Checks an iCalendar invite with python3-icalendar (a parser we did not write).

Usage: icalcheck.py FILE [checks]   (FILE: .ics, or .eml whose text/calendar
part is checked; "-" reads stdin). Always checked: it parses; VERSION:2.0,
PRODID, METHOD; exactly one VEVENT with UID, DTSTAMP (UTC), DTSTART and DTEND
in the same zone, SEQUENCE, STATUS, SUMMARY, ORGANIZER (mailto:) and at least
one ATTENDEE, each with CN/ROLE=REQ-PARTICIPANT/PARTSTAT=NEEDS-ACTION/RSVP=TRUE
(CN optional); a zoned DTSTART has a VTIMEZONE whose TZID is the same plain
IANA name; that VTIMEZONE is turned into a tzinfo and gives the same UTC
offset as the system's zone data at the start (one-off event), or every 3
hours from the start to 2038 (recurring event).
  --method M  --sequence N  --status S  --uid U  --tzid Z
  --start-utc 2024-04-02T12:00:00Z  --duration MIN  --attendees N
  --attendee ADDR (repeatable)  --rrule 'FREQ=MONTHLY;INTERVAL=3'  --alarm MIN
  --summary-has TEXT  --description-has TEXT
  --print-uid       print the UID on stdout
Exit 0 when every check holds, 1 with a message otherwise.
"""
import argparse
import datetime
import email
import email.policy
import sys
import zoneinfo

import icalendar


def fail(msg):
    print("icalcheck: " + msg, file=sys.stderr)
    sys.exit(1)


def load(path):
    data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    if path.endswith(".eml"):
        msg = email.message_from_bytes(data, policy=email.policy.default)
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                return part.get_content().encode("utf-8"), part.get_param("method")
        fail("no text/calendar part in " + path)
    return data, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    for opt in ("--method", "--status", "--uid", "--tzid", "--start-utc", "--rrule",
                "--summary-has", "--description-has"):
        ap.add_argument(opt)
    for opt in ("--sequence", "--duration", "--attendees", "--alarm"):
        ap.add_argument(opt, type=int)
    ap.add_argument("--attendee", action="append", default=[])
    ap.add_argument("--print-uid", action="store_true")
    a = ap.parse_args()

    data, part_method = load(a.file)
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as e:  # the parser's own complaint is the message
        fail("python-icalendar cannot parse it: %s" % e)
    if str(cal.get("VERSION")) != "2.0":
        fail("VERSION is %r" % cal.get("VERSION"))
    if not cal.get("PRODID"):
        fail("no PRODID")
    method = str(cal.get("METHOD", ""))
    if not method:
        fail("no METHOD")
    if part_method is not None and part_method != method:
        fail("part method=%s but METHOD:%s" % (part_method, method))
    if a.method and method != a.method:
        fail("METHOD is %s, want %s" % (method, a.method))

    events = cal.walk("VEVENT")
    if len(events) != 1:
        fail("%d VEVENTs" % len(events))
    ev = events[0]
    for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "STATUS", "SUMMARY",
                 "ORGANIZER", "ATTENDEE"):
        if prop not in ev:
            fail("VEVENT has no " + prop)
    uid = str(ev["UID"])
    stamp = ev["DTSTAMP"].dt
    if stamp.utcoffset() != datetime.timedelta(0):
        fail("DTSTAMP not in UTC: %r" % stamp)
    start, end = ev["DTSTART"].dt, ev["DTEND"].dt
    if start.tzinfo is None:
        fail("DTSTART is a floating time")
    if not str(ev["ORGANIZER"]).lower().startswith("mailto:"):
        fail("ORGANIZER %s" % ev["ORGANIZER"])
    atts = ev["ATTENDEE"]
    if not isinstance(atts, list):
        atts = [atts]
    for att in atts:
        if not str(att).lower().startswith("mailto:"):
            fail("ATTENDEE %s" % att)
        p = att.params
        if p.get("ROLE") != "REQ-PARTICIPANT" or p.get("PARTSTAT") != "NEEDS-ACTION" \
                or p.get("RSVP") != "TRUE":
            fail("ATTENDEE %s parameters %r" % (att, dict(p)))
    addrs = sorted(str(x)[7:].lower() for x in atts)

    tzid = ev["DTSTART"].params.get("TZID")
    if tzid:
        if ev["DTEND"].params.get("TZID") != tzid:
            fail("DTEND zone differs from DTSTART's")
        zones = [z for z in cal.walk("VTIMEZONE") if str(z["TZID"]) == tzid]
        if len(zones) != 1:
            fail("no VTIMEZONE with TZID %s (have %s)" %
                 (tzid, [str(z["TZID"]) for z in cal.walk("VTIMEZONE")]))
        if "/" in tzid and tzid.startswith("/"):
            fail("TZID %s is not a plain IANA name" % tzid)
        # the VTIMEZONE itself, as a tzinfo, agrees with the system zone: at
        # the start of a one-off event; every 3 hours from the start to the
        # end of 2038 (as far as python-icalendar expands rules) for a
        # recurring one
        try:
            own = zones[0].to_tz()
        except ValueError as e:
            fail("python-icalendar cannot use the VTIMEZONE: %s" % e)
        naive = start.replace(tzinfo=None)
        if own.utcoffset(naive) != start.utcoffset():
            fail("VTIMEZONE offset %s, tzdata %s" % (own.utcoffset(naive), start.utcoffset()))
        if "RRULE" in ev:
            sysz = zoneinfo.ZoneInfo(tzid)
            t = start.astimezone(datetime.timezone.utc)
            while t.year < 2039:
                if t.astimezone(own).utcoffset() != t.astimezone(sysz).utcoffset():
                    fail("VTIMEZONE offset %s at %s, tzdata %s" % (
                        t.astimezone(own).utcoffset(), t, t.astimezone(sysz).utcoffset()))
                t += datetime.timedelta(hours=3)
    elif start.utcoffset() != datetime.timedelta(0):
        fail("DTSTART without TZID is not UTC")

    if a.sequence is not None and int(ev["SEQUENCE"]) != a.sequence:
        fail("SEQUENCE %s, want %d" % (ev["SEQUENCE"], a.sequence))
    if a.status and str(ev["STATUS"]) != a.status:
        fail("STATUS %s, want %s" % (ev["STATUS"], a.status))
    if a.uid and uid != a.uid:
        fail("UID %s, want %s" % (uid, a.uid))
    if a.tzid and tzid != a.tzid:
        fail("TZID %s, want %s" % (tzid, a.tzid))
    if a.start_utc:
        got = start.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if got != a.start_utc:
            fail("start %s UTC, want %s" % (got, a.start_utc))
    if a.duration is not None and end - start != datetime.timedelta(minutes=a.duration):
        fail("lasts %s, want %d minutes" % (end - start, a.duration))
    if a.attendees is not None and len(atts) != a.attendees:
        fail("%d attendees, want %d" % (len(atts), a.attendees))
    for want in a.attendee:
        if want.lower() not in addrs:
            fail("%s not among the attendees %s" % (want, addrs))
    if a.rrule is not None:
        got = ev.get("RRULE")
        got = got.to_ical().decode() if got is not None else ""
        if got != a.rrule:
            fail("RRULE %r, want %r" % (got, a.rrule))
    if a.alarm is not None:
        alarms = ev.walk("VALARM")
        if len(alarms) != 1:
            fail("%d VALARMs" % len(alarms))
        if alarms[0]["TRIGGER"].dt != datetime.timedelta(minutes=-a.alarm):
            fail("alarm %s, want -%d minutes" % (alarms[0]["TRIGGER"].dt, a.alarm))
    if a.summary_has and a.summary_has not in str(ev["SUMMARY"]):
        fail("SUMMARY %r lacks %r" % (str(ev["SUMMARY"]), a.summary_has))
    if a.description_has and a.description_has not in str(ev.get("DESCRIPTION", "")):
        fail("DESCRIPTION lacks %r" % a.description_has)
    if a.print_uid:
        print(uid)


if __name__ == "__main__":
    main()
