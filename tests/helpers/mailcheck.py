#!/usr/bin/python3
"""Checks messages closeloop sent, with Python's email package (not our code).

Usage: mailcheck.py DIR [checks]   (DIR holds NNN.eml [+ NNN.json from smtpd.py])
Always checked for every message: no parser defects in any part, one each
of Date/From/Message-ID/MIME-Version/Auto-Submitted, no Bcc header, every
line CRLF-terminated and at most 998 octets.
  --count N              number of messages
  --subject S            some message has this (decoded) subject; repeatable
  --to-name NAME         some To display name decodes to NAME
  --text S / --html S    every message's text/plain (text/html) part contains S
  --no-text S            no message's text/plain contains S
  --structure TREE       e.g. multipart/alternative(text/plain,text/html)
  --calendar-method M    the text/calendar part has method=M and METHOD:M
  --tls / --auth USER    envelope (smtpd.py) says STARTTLS / AUTH as USER
  --rcpt ADDR            the envelope recipients are exactly ADDR; repeatable
  --rrule-once           no component of any copy of the calendar (the inline
                         text/calendar part and the invite.ics attachment)
                         has RRULE twice, no VTIMEZONE observance (kind,
                         TZNAME, offsets) has its RRULE in two blocks, and
                         the copies are the same text
  --vtimezone-as FILE    every copy's VTIMEZONE is, line for line, the one in
                         FILE (e.g. what the dry run printed)
  --maildir              DIR is an MTA's Maildir (exim): read new/* and cur/*,
                         whose line ends the MTA made local (LF)
  --dump                 print subject, recipients and text of each message
Exit 0 when every check holds, 1 with a message otherwise.
"""
import argparse
import email
import email.policy
import glob
import json
import os
import sys


def fail(msg):
    print("mailcheck: " + msg, file=sys.stderr)
    sys.exit(1)


def structure(part):
    ct = part.get_content_type()
    if part.is_multipart():
        return ct + "(" + ",".join(structure(p) for p in part.iter_parts()) + ")"
    return ct


def calendar_text_of(text):
    """Unfolded lines, LF-terminated."""
    return text.replace("\r\n", "\n").replace("\n ", "").replace("\n\t", "")


def calendar_text(part):
    c = part.get_content()
    if isinstance(c, bytes):
        c = c.decode("utf-8")
    return calendar_text_of(c)


def vtimezones(cal):
    """The lines of every VTIMEZONE of a calendar."""
    out, inside = [], False
    for line in cal.splitlines():
        if line == "BEGIN:VTIMEZONE":
            inside = True
        if inside:
            out.append(line)
        if line == "END:VTIMEZONE":
            inside = False
    return out


def observances(cal):
    """The STANDARD/DAYLIGHT blocks of every VTIMEZONE: key (TZID, kind,
    TZNAME, TZOFFSETFROM, TZOFFSETTO) and its RRULE lines."""
    out, tzid, cur = [], "", None
    for line in cal.splitlines():
        if line.startswith("TZID:"):
            tzid = line[5:]
        elif line in ("BEGIN:STANDARD", "BEGIN:DAYLIGHT"):
            cur = {"kind": line[6:], "props": {}, "rrule": []}
        elif cur is not None and line in ("END:STANDARD", "END:DAYLIGHT"):
            p = cur["props"]
            cur["key"] = (tzid, cur["kind"], p.get("TZNAME", ""), p.get("TZOFFSETFROM", ""),
                          p.get("TZOFFSETTO", ""))
            out.append(cur)
            cur = None
        elif cur is not None:
            name, _, value = line.partition(":")
            if name == "RRULE":
                cur["rrule"].append(value)
            else:
                cur["props"][name] = value
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--count", type=int)
    ap.add_argument("--subject", action="append", default=[])
    ap.add_argument("--to-name")
    ap.add_argument("--text", action="append", default=[])
    ap.add_argument("--no-text", action="append", default=[])
    ap.add_argument("--html", action="append", default=[])
    ap.add_argument("--structure")
    ap.add_argument("--calendar-method")
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--auth")
    ap.add_argument("--rcpt", action="append", default=[])
    ap.add_argument("--dump", action="store_true")
    ap.add_argument("--rrule-once", action="store_true")
    ap.add_argument("--vtimezone-as")
    ap.add_argument("--maildir", action="store_true")
    a = ap.parse_args()

    if a.maildir:
        files = sorted(glob.glob(os.path.join(a.dir, "new", "*")) +
                       glob.glob(os.path.join(a.dir, "cur", "*")))
    else:
        files = sorted(glob.glob(os.path.join(a.dir, "*.eml")))
    if a.count is not None and len(files) != a.count:
        fail("%d messages, expected %d" % (len(files), a.count))
    subjects, names = [], []
    for path in files:
        raw = open(path, "rb").read()
        if a.maildir:
            raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        for i, line in enumerate(raw.split(b"\r\n")[:-1]):
            if b"\n" in line or b"\r" in line:
                fail("%s: line %d has a bare CR or LF" % (path, i + 1))
            if len(line) > 998:
                fail("%s: line %d longer than 998 octets" % (path, i + 1))
        if not raw.endswith(b"\r\n"):
            fail("%s: does not end with CRLF" % path)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for part in msg.walk():
            if part.defects:
                fail("%s: %s: defects %r" % (path, part.get_content_type(), part.defects))
        for h in ("Date", "From", "Message-ID", "MIME-Version", "Auto-Submitted", "Subject"):
            if len(msg.get_all(h, [])) != 1:
                fail("%s: %d %s headers" % (path, len(msg.get_all(h, [])), h))
        if msg["Auto-Submitted"] != "auto-generated":
            fail("%s: Auto-Submitted is %r" % (path, msg["Auto-Submitted"]))
        if msg.get_all("Bcc"):
            fail("%s: has a Bcc header" % path)
        for h in ("To", "Cc", "From"):
            if msg[h] is not None:
                for addr in msg[h].addresses:
                    if any(c in addr.display_name for c in "\r\n"):
                        fail("%s: %s name with a line break" % (path, h))
                    names.append(addr.display_name)
        subjects.append(str(msg["Subject"]))
        text = msg.get_body(("plain",))
        text = text.get_content() if text is not None else ""
        html = msg.get_body(("html",))
        html = html.get_content() if html is not None else ""
        for t in a.text:
            if t not in text:
                fail("%s: text part lacks %r:\n%s" % (path, t, text))
        for t in a.no_text:
            if t in text:
                fail("%s: text part has %r" % (path, t))
        for t in a.html:
            if t not in html:
                fail("%s: html part lacks %r" % (path, t))
        if a.structure and structure(msg) != a.structure:
            fail("%s: structure %s" % (path, structure(msg)))
        if a.calendar_method:
            cals = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
            if len(cals) != 1:
                fail("%s: %d text/calendar parts" % (path, len(cals)))
            if cals[0].get_param("method") != a.calendar_method:
                fail("%s: method=%r" % (path, cals[0].get_param("method")))
            if cals[0].get("Content-Disposition"):
                fail("%s: text/calendar has a Content-Disposition" % path)
            body = cals[0].get_content()
            if "METHOD:" + a.calendar_method not in body:
                fail("%s: calendar lacks METHOD:%s" % (path, a.calendar_method))
            ics = [p for p in msg.walk() if p.get_filename() == "invite.ics"]
            if len(ics) != 1 or not ics[0].is_attachment():
                fail("%s: no invite.ics attachment" % path)
        copies = [calendar_text(p) for p in msg.walk()
                  if p.get_content_type() in ("text/calendar", "application/ics")]
        if a.rrule_once:
            if not copies:
                fail("%s: no calendar" % path)
            for n, cal in enumerate(copies):
                stack = []
                for line in cal.splitlines():
                    if line.startswith("BEGIN:"):
                        stack.append([line[6:], 0])
                    elif line.startswith("END:"):
                        stack.pop()
                    elif line.split(":")[0].split(";")[0] == "RRULE" and stack:
                        stack[-1][1] += 1
                        if stack[-1][1] > 1:
                            fail("%s: calendar copy %d: %s has RRULE twice" %
                                 (path, n + 1, stack[-1][0]))
                rules = {}
                for obs in observances(cal):
                    if obs["rrule"]:
                        rules.setdefault(obs["key"], []).append(obs["rrule"])
                for key, rr in rules.items():
                    if len(rr) > 1:
                        fail("%s: calendar copy %d: %s has its RRULE in %d blocks: %s" %
                             (path, n + 1, " ".join(key), len(rr), rr))
                if cal != copies[0]:
                    fail("%s: the calendar copies differ" % path)
        if a.vtimezone_as:
            want = vtimezones(calendar_text_of(open(a.vtimezone_as, encoding="utf-8").read()))
            if not want:
                fail("%s has no VTIMEZONE" % a.vtimezone_as)
            for n, cal in enumerate(copies):
                if vtimezones(cal) != want:
                    fail("%s: calendar copy %d: VTIMEZONE differs from %s:\n%s" %
                         (path, n + 1, a.vtimezone_as, "\n".join(vtimezones(cal))))
        env_path = path[:-4] + ".json"
        env = json.load(open(env_path)) if os.path.exists(env_path) else None
        if (a.tls or a.auth or a.rcpt) and env is None:
            fail("%s: no envelope record" % path)
        if a.tls and not env["tls"]:
            fail("%s: not received over TLS" % path)
        if a.auth and env["auth"] != a.auth:
            fail("%s: AUTH user %r" % (path, env["auth"]))
        if a.rcpt and sorted(env["rcpt_tos"]) != sorted(a.rcpt):
            fail("%s: recipients %r" % (path, env["rcpt_tos"]))
        if a.dump:
            print("== %s\nSubject: %s\nTo: %s\nCc: %s\n%s" % (
                os.path.basename(path), msg["Subject"], msg["To"], msg["Cc"], text))
    for s in a.subject:
        if s not in subjects:
            fail("no message with subject %r (have %r)" % (s, subjects))
    if a.to_name and a.to_name not in names:
        fail("no address named %r (have %r)" % (a.to_name, names))


if __name__ == "__main__":
    main()
