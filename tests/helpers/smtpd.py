#!/usr/bin/python3
"""A real SMTP server for closeloop's tests (Debian's python3-aiosmtpd).

Run with /usr/bin/python3. Listens on 127.0.0.1 on a free port, writes the
port to --port-file once it accepts connections, and stores every received
message in --dir as NNN.eml (the raw bytes) + NNN.json (envelope, TLS, AUTH
user). --dir/events.log gets one line per protocol event (connect, ehlo,
starttls, auth-ok, auth-fail, mail, rcpt, data) so tests can tell that
nothing was sent and count sessions.

Modes and faults:
  --tls-cert/--tls-key   offer STARTTLS and require it
  --auth USER:PASS       offer AUTH (PLAIN/LOGIN after STARTTLS); required
                         unless --auth-optional (then a failed AUTH could be
                         followed by an unauthenticated MAIL: the trap)
  --no-auth-offer        do not advertise AUTH in the EHLO reply
  --reject ADDR          550 for that recipient (repeatable)
  --refuse-domain D      550 for every recipient in domain D
  --defer-domain D       451 for every recipient in domain D while
                         --dir/defer exists (remove it to let them through)
  --auth-mechs M         offer only mechanism M (PLAIN or LOGIN)
  --fault mail421|data451|data554
  --silent               accept TCP, never greet (greeting timeout)
  --backlog              listen but never accept, queue full (connect timeout)
Stops after --max-seconds (default 120) or on SIGTERM.
"""
import warnings
warnings.filterwarnings("ignore", message="Session.login_data")
import argparse
import asyncio
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write_port(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, path)


class Log:
    def __init__(self, d):
        self.path = os.path.join(d, "events.log")
        self.lock = threading.Lock()

    def __call__(self, *words):
        with self.lock, open(self.path, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")


def run_raw(args, log):
    """--silent and --backlog: sockets that never speak SMTP."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    held = []
    if args.backlog:
        srv.listen(0)
        # fill the accept queue so that the next SYN is dropped
        for _ in range(8):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            held.append(c)
        time.sleep(0.2)
        write_port(args.port_file, port)
        time.sleep(args.max_seconds)
        return
    srv.listen(16)
    srv.settimeout(0.5)
    write_port(args.port_file, port)
    end = time.time() + args.max_seconds
    while time.time() < end:
        try:
            c, _ = srv.accept()
            log("connect")
            held.append(c)
        except socket.timeout:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--auth")
    ap.add_argument("--auth-optional", action="store_true")
    ap.add_argument("--no-auth-offer", action="store_true")
    ap.add_argument("--reject", action="append", default=[])
    ap.add_argument("--refuse-domain", action="append", default=[])
    ap.add_argument("--defer-domain", action="append", default=[])
    ap.add_argument("--auth-mechs", choices=["PLAIN", "LOGIN"])
    ap.add_argument("--fault", choices=["mail421", "data451", "data554"])
    ap.add_argument("--silent", action="store_true")
    ap.add_argument("--backlog", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=120)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    log = Log(args.dir)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    if args.silent or args.backlog:
        run_raw(args, log)
        return

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    counter = {"n": 0}
    reject = {a.lower() for a in args.reject}
    refuse_domains = {d.lower() for d in args.refuse_domain}
    defer_domains = {d.lower() for d in args.defer_domain}
    if defer_domains:
        open(os.path.join(args.dir, "defer"), "w").close()

    class Handler:
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            session.host_name = hostname
            log("ehlo", hostname, "tls" if session.ssl else "plain")
            if args.no_auth_offer:
                responses = [r for r in responses if "AUTH" not in r]
            return responses

        async def handle_MAIL(self, server, session, envelope, address, mail_options):
            log("mail", address, "auth=%s" % (session.authenticated and 1 or 0))
            if args.fault == "mail421":
                return "421 4.3.2 closing, try again later"
            envelope.mail_from = address
            return "250 OK"

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            log("rcpt", address)
            if address.lower() in reject:
                return "550 5.1.1 <%s>: no such user" % address
            domain = address.rsplit("@", 1)[-1].lower()
            if domain in refuse_domains:
                return "550 5.7.1 <%s>: refused by policy" % address
            if domain in defer_domains and os.path.exists(os.path.join(args.dir, "defer")):
                return "451 4.7.1 <%s>: greylisted, try later" % address
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            log("data", len(envelope.original_content))
            if args.fault == "data451":
                return "451 4.3.0 temporary failure, try later"
            if args.fault == "data554":
                return "554 5.6.0 message refused"
            counter["n"] += 1
            base = os.path.join(args.dir, "%03d" % counter["n"])
            with open(base + ".eml", "wb") as f:
                f.write(envelope.original_content)
            with open(base + ".json", "w") as f:
                json.dump({"mail_from": envelope.mail_from,
                           "rcpt_tos": envelope.rcpt_tos,
                           "tls": bool(session.ssl),
                           "auth": getattr(session, "cl_user", None),
                           "peer": session.peer[0]}, f)
            return "250 2.0.0 queued as %03d" % counter["n"]

    class LoggingSMTP(SMTP):
        def connection_made(self, transport):
            log("connect")
            super().connection_made(transport)

        async def smtp_STARTTLS(self, arg):
            log("starttls")
            return await super().smtp_STARTTLS(arg)

    kwargs = {}
    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        kwargs["tls_context"] = ctx
        kwargs["require_starttls"] = True
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and
                  auth_data.login.decode() == user and
                  auth_data.password.decode() == password)
            log("auth-ok" if ok else "auth-fail", mechanism)
            if ok:
                session.cl_user = user
            # a failed login must not be "handled", or aiosmtpd answers 235
            return AuthResult(success=ok, handled=False)

        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = not args.auth_optional
        kwargs["auth_require_tls"] = bool(args.tls_cert)
        if args.auth_mechs:
            kwargs["auth_exclude_mechanism"] = [m for m in ("PLAIN", "LOGIN")
                                                if m != args.auth_mechs]

    class Ctl(Controller):
        def factory(self):
            return LoggingSMTP(self.handler, **self.SMTP_kwargs)

    port = free_port()
    ctl = Ctl(Handler(), hostname="127.0.0.1", port=port, **kwargs)
    ctl.start()
    # the controller's own start-up probe is not a client session
    open(os.path.join(args.dir, "events.log"), "w").close()
    write_port(args.port_file, port)
    try:
        time.sleep(args.max_seconds)
    finally:
        ctl.stop()


if __name__ == "__main__":
    main()
