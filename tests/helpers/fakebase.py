"""fakebase.py — the plumbing shared by the fake tracker servers of the tests
(fake_gitlab.py, fake_gitea.py, fake_jira.py): a threaded HTTP server, request
counting, fault injection and the admin endpoints. Stdlib only.

A backend subclasses Backend and implements:
  auth(h)                      -> None when allowed, else (status, obj, headers)
  api(h, method, path, q, body)-> (status, obj, headers); q: {name: [values]}
  route(method, path)          -> a route name for the counters
  norm(it)                     -> the issue in the common form below
  person(ident, b)             -> acts as a person on one issue (admin); the
                                  common keys are state (open|closed),
                                  assignee (handle or null), due (YYYY-MM-DD
                                  or null), title, body, deleted
  error(status, message)       -> the vendor's error body
The common form of an issue (stats "list"): {"id", "title", "body" (plain
text), "state": "open"|"closed", "assignee", "due", "labels": [names],
"comments": [text], "deleted"}.

Admin endpoints (not counted, no auth):
  GET  /_admin/stats      {"requests", "by_method", "by_route", "issues",
                           "open", "markers": {key: count}, "list": [...]}
  POST /_admin/faults     {"faults": [{"method": "GET"|"POST"|…|"*",
                           "path": substring (optional), "query": substring
                           of the query string (optional), "status": 429|502|…,
                           "retry_after": s, "headers": {…}, "times": n,
                           "stall": s (do the work, answer s seconds later)}],
                           "clear": true (drops the queued ones first)}
  POST /_admin/reject     {"title_contains": "..."}: creates with it fail
  POST /_admin/seed       {"title", "body", "author"}: an issue filed by a
                           person (author, default "a-person"), not by the
                           token's account (closeloop-bot)
  POST /_admin/issue/ID   act as a person on one issue (see person())
  POST /_admin/act        {"ids": [...], "set": {...}}: person() on many
  POST /_admin/reset-counts
  POST /_admin/drop-assignee {"handles": [...]}: these people are silently
                           not assigned (GitLab and a user who is not a
                           project member; GitHub and no push access)
"""
import json
import os
import re
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
MARKER = re.compile(r"closeloop:([A-Za-z0-9._-]*[A-Za-z0-9_-])")


_LAST = [0.0]


def tick():
    """Now, in whole milliseconds, strictly increasing: every change gets its
    own updated-at, as in a database that writes one row at a time."""
    now = max(int(time.time() * 1000) / 1000.0, _LAST[0] + 0.001)
    _LAST[0] = now
    return now


def iso_ms(t):
    """2024-03-20T09:00:00.123Z"""
    d = datetime.fromtimestamp(t, timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def parse_time(s):
    s = s.strip().replace(" ", "+") if "T" in s else s.strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    m = re.match(r"^(.*[+-])(\d\d)(\d\d)$", s)
    if m and ":" not in s[-6:]:
        s = "%s%s:%s" % (m.group(1), m.group(2), m.group(3))
    return datetime.fromisoformat(s).timestamp()


class Backend:
    name = "fake"

    def __init__(self, args):
        self.args = args
        self.token = args.token
        self.reject = None
        self.dropped = set()

    def keep(self, handles):
        """The assignees the tracker keeps (drop-assignee silently drops)."""
        return [x for x in handles if x not in self.dropped]

    def auth(self, h):
        return None

    def api(self, h, method, path, q, body):
        return 404, self.error(404, "Not Found"), {}

    def route(self, method, path):
        return method + " " + re.sub(r"/\d+(?=/|$)", "/{n}", path)

    def issues(self):
        return []

    def norm(self, it):
        return it

    def person(self, ident, b):
        return None

    def seed(self, b):
        """Files an issue as a person would ({"title", "body"})."""
        raise NotImplementedError

    def error(self, status, message):
        return {"message": message}

    def admin_extra(self, method, path, body):
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        if self.server.verbose:
            sys.stderr.write("%s: %s\n" % (self.server.be.name, fmt % a))

    def base(self):
        be = self.server.be
        if getattr(be.args, "public_url", None):
            return be.args.public_url.rstrip("/")
        scheme = "https" if getattr(self.server.be.args, "tls_cert", None) else "http"
        return "%s://%s" % (scheme, self.headers.get("Host") or "127.0.0.1")

    def body_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if not raw:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return "INVALID"

    def send(self, status, obj=None, headers=None):
        data = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        url = urlsplit(self.path)
        be = self.server.be
        st = self.server
        if url.path.startswith("/_admin/"):
            with LOCK:
                return self.admin(method, url.path)
        body = self.body_json() if method in ("POST", "PUT", "PATCH") else None
        stall = 0
        with LOCK:
            st.requests += 1
            st.by_method[method] = st.by_method.get(method, 0) + 1
            rname = be.route(method, url.path)
            st.by_route[rname] = st.by_route.get(rname, 0) + 1
            fault = None
            for f in st.faults:
                if f.get("method", "*") in ("*", method) and f.get("times", 1) > 0 and \
                        f.get("path", "") in url.path and f.get("query", "") in url.query:
                    f["times"] = f.get("times", 1) - 1
                    fault = f
                    break
            st.faults = [f for f in st.faults if f.get("times", 1) > 0]
            if fault and "status" in fault:
                h = dict(fault.get("headers", {}))
                if "retry_after" in fault:
                    h["Retry-After"] = str(fault["retry_after"])
                st.faulted += 1
                return self.send(fault["status"], be.error(fault["status"], "injected fault"), h)
            if fault and "stall" in fault:
                stall = float(fault["stall"])
            denied = be.auth(self)
            if denied:
                result = denied
            elif body == "INVALID":
                result = 400, be.error(400, "malformed JSON body"), {}
            else:
                q = parse_qs(url.query, keep_blank_values=True)
                result = be.api(self, method, url.path, q, body)
            if result[0] >= 400 and st.verbose:
                sys.stderr.write("%s: %s %s -> %d %s\n" % (be.name, method, self.path,
                                                           result[0], json.dumps(result[1])))
            if result[0] in (400, 422):
                st.refusals.append({"method": method, "path": url.path, "status": result[0],
                                    "answer": result[1]})
        if stall:
            time.sleep(stall)
        self.send(*result)

    def admin(self, method, path):
        st = self.server
        be = st.be
        body = self.body_json() if method == "POST" else None
        if not isinstance(body, dict):
            body = {}
        if path == "/_admin/stats":
            lst = [be.norm(it) for it in be.issues()]
            markers = {}
            for it in lst:
                for k in MARKER.findall(it.get("body") or ""):
                    markers[k] = markers.get(k, 0) + 1
            return self.send(200, {
                "requests": st.requests, "by_method": st.by_method, "by_route": st.by_route,
                "faulted": st.faulted, "refusals": st.refusals[-20:],
                "issues": len([i for i in lst if not i.get("deleted")]),
                "open": len([i for i in lst if i["state"] == "open" and not i.get("deleted")]),
                "markers": markers, "list": lst})
        if path == "/_admin/faults":
            if body.get("clear"):
                st.faults = []
            st.faults.extend(body.get("faults", []))
            return self.send(200, {"queued": len(st.faults)})
        if path == "/_admin/seed":
            return self.send(200, be.norm(be.seed(body)))
        if path == "/_admin/reject":
            be.reject = body.get("title_contains")
            return self.send(200, {})
        if path == "/_admin/drop-assignee":
            be.dropped = set(body.get("handles", []))
            return self.send(200, {})
        if path == "/_admin/reset-counts":
            st.requests = 0
            st.by_method = {}
            st.by_route = {}
            st.faulted = 0
            return self.send(200, {})
        m = re.match(r"^/_admin/issue/([^/]+)$", path)
        if m and method == "POST":
            r = be.person(m.group(1), body)
            if r is None:
                return self.send(404, {"message": "no such issue"})
            return self.send(200, be.norm(r))
        if path == "/_admin/act":
            n = 0
            for ident in body.get("ids", []):
                if be.person(str(ident), body.get("set", {})) is not None:
                    n += 1
            return self.send(200, {"changed": n})
        r = be.admin_extra(method, path, body)
        if r is not None:
            return self.send(*r)
        return self.send(404, {"message": "unknown admin endpoint"})


def common_args(ap):
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token", default="test-token")
    ap.add_argument("--public-url")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--max-seconds", type=int, default=1800,
                    help="exit after this long, whatever happens")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--tls-key")


def serve(backend, args):
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.be = backend
    srv.verbose = args.verbose
    srv.requests = 0
    srv.by_method = {}
    srv.by_route = {}
    srv.faults = []
    srv.faulted = 0
    srv.refusals = []
    if getattr(args, "tls_cert", None):
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    t = threading.Timer(args.max_seconds, srv.shutdown)
    t.daemon = True
    t.start()
    srv.serve_forever()
