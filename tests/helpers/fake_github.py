#!/usr/bin/python3
"""A fake GitHub REST issues API for closeloop's tests (stdlib only).

Implements, after GitHub's documentation:
  POST  /repos/{o}/{r}/issues              create (201; 422 on a blank title)
  GET   /repos/{o}/{r}/issues              list: state, since, sort, direction,
                                           per_page (max 100), page, labels;
                                           Link header (next/last/first/prev);
                                           pull requests are listed too
  GET   /user                              the token's account (closeloop-bot)
  GET   /repos/{o}/{r}/issues/{n}          one issue; 404 / 410 deleted /
                                           301 transferred
  PATCH /repos/{o}/{r}/issues/{n}          title, body, state, state_reason,
                                           labels, assignees
ETag on every 200 (weak, hash of the body) and If-None-Match -> 304;
x-ratelimit-* headers; Authorization: Bearer/token checked (401);
User-Agent required (403).

Admin endpoints (not counted, no auth), for the tests:
  GET  /_admin/stats            {"requests", "by_method", "by_route", "issues",
                                 "open", "markers": {key: count}}
  POST /_admin/faults           {"faults": [{"method": "POST"|"GET"|"PATCH"|"*",
                                 "status": 429|502|403|..., "retry_after": s,
                                 "reset_in": s, "times": n,
                                 "stall": s (answer after s seconds, after
                                 doing the work), "path"/"query": substrings
                                 the request's path / query must hold}]};
                                 appends to the queue
  POST /_admin/reject           {"title_contains": "..."}: creates whose title
                                 contains it get 422
  POST /_admin/issue/{n}        act as a person: {"state", "state_reason",
                                 "title", "body", "assignee", "deleted": true,
                                 "transferred": true}
  POST /_admin/pull             adds a pull request (listed like an issue)
  POST /_admin/file             {"title", "body", "user"}: an issue filed by
                                 user (default "mallory"), not by the token
  POST /_admin/reset-counts
Run: fake_github.py --port-file FILE [--token T] [--repo o/r]
     [--public-url URL]   base for Link/url fields (e.g. a proxy in front)
"""
import argparse
import hashlib
import json
import re
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

LOCK = threading.Lock()


def iso(t):
    return datetime.fromtimestamp(int(t), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s):
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    return datetime.fromisoformat(s).timestamp()


class State:
    def __init__(self, args):
        self.token = args.token
        self.owner, self.repo = args.repo.split("/", 1)
        self.public = args.public_url.rstrip("/") if args.public_url else None
        self.issues = {}          # number -> dict (internal)
        self.next_number = 1
        self.requests = 0
        self.by_method = {}
        self.by_route = {}
        self.faults = []
        self.reject = None
        self.dropped = set()
        self.remaining = 5000
        self.reset_at = int(time.time()) + 3600

    def user(self, login, base):
        uid = abs(hash(login)) % 100000 + 1
        u = "https://api.github.com/users/" + login
        return {
            "login": login, "id": uid, "node_id": "U_%d" % uid,
            "avatar_url": "https://avatars.example.invalid/u/%d" % uid,
            "gravatar_id": "", "url": u, "html_url": "https://github.com/" + login,
            "followers_url": u + "/followers",
            "following_url": u + "/following{/other_user}",
            "gists_url": u + "/gists{/gist_id}",
            "starred_url": u + "/starred{/owner}{/repo}",
            "subscriptions_url": u + "/subscriptions",
            "organizations_url": u + "/orgs", "repos_url": u + "/repos",
            "events_url": u + "/events{/privacy}",
            "received_events_url": u + "/received_events",
            "type": "User", "site_admin": False,
        }

    def render(self, it, base):
        n = it["number"]
        api = "%s/repos/%s/%s" % (base, self.owner, self.repo)
        labels = [{"id": abs(hash(l)) % 100000 + 1, "node_id": "L_" + l,
                   "url": api + "/labels/" + l, "name": l, "description": None,
                   "color": "ededed", "default": False} for l in it["labels"]]
        assignees = [self.user(a, base) for a in it["assignees"]]
        d = {
            "id": 1000000 + n, "node_id": "I_%d" % n, "url": "%s/issues/%d" % (api, n),
            "repository_url": api, "labels_url": "%s/issues/%d/labels{/name}" % (api, n),
            "comments_url": "%s/issues/%d/comments" % (api, n),
            "events_url": "%s/issues/%d/events" % (api, n),
            "html_url": "https://github.example.invalid/%s/%s/issues/%d" % (self.owner, self.repo, n),
            "number": n, "state": it["state"], "state_reason": it["state_reason"],
            "title": it["title"], "body": it["body"],
            "user": self.user(it.get("author", "closeloop-bot"), base),
            "labels": labels, "assignee": assignees[0] if assignees else None,
            "assignees": assignees, "milestone": None, "locked": False,
            "active_lock_reason": None, "comments": 0,
            "closed_at": iso(it["closed_at"]) if it["closed_at"] else None,
            "created_at": iso(it["created_at"]), "updated_at": iso(it["updated_at"]),
            "author_association": "OWNER",
        }
        if it.get("pull"):
            d["pull_request"] = {"url": "%s/pulls/%d" % (api, n), "html_url": d["html_url"],
                                 "diff_url": d["html_url"] + ".diff",
                                 "patch_url": d["html_url"] + ".patch", "merged_at": None}
        return d

    def new_issue(self, title, body, labels, assignees, pull=False):
        now = time.time()
        it = {"number": self.next_number, "title": title, "body": body, "state": "open",
              "state_reason": None, "labels": labels, "assignees": assignees,
              "created_at": now, "updated_at": now, "closed_at": None, "pull": pull,
              "deleted": False, "transferred": False}
        self.issues[it["number"]] = it
        self.next_number += 1
        return it

    def set_state(self, it, state, reason):
        if state not in ("open", "closed"):
            return
        if state != it["state"]:
            it["state"] = state
            it["closed_at"] = time.time() if state == "closed" else None
            it["state_reason"] = reason or ("completed" if state == "closed" else "reopened")
        elif reason and state == "closed":
            it["state_reason"] = reason


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-github/1"

    def setup(self):
        super().setup()
        # headers and body go out in two writes: without this, Nagle and
        # delayed ACKs add 40 ms to every keep-alive request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *a):
        if self.server.verbose:
            sys.stderr.write("fake_github: " + fmt % a + "\n")

    # --- plumbing -------------------------------------------------------
    def base(self):
        st = self.server.st
        if st.public:
            return st.public
        return "http://%s" % (self.headers.get("Host") or "127.0.0.1")

    def body_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if not raw:
            return None, raw
        try:
            return json.loads(raw.decode("utf-8")), raw
        except (ValueError, UnicodeDecodeError):
            return "INVALID", raw

    def send(self, status, obj=None, headers=None, etag=True):
        st = self.server.st
        data = b"" if obj is None else json.dumps(obj, indent=None).encode()
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        if status == 200 and etag and obj is not None:
            self.send_header("ETag", 'W/"%s"' % hashlib.sha1(data).hexdigest())
        self.send_header("x-ratelimit-limit", "5000")
        self.send_header("x-ratelimit-remaining", str(max(st.remaining, 0)))
        self.send_header("x-ratelimit-reset", str(st.reset_at))
        self.send_header("x-ratelimit-resource", "core")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def error(self, status, message, errors=None, headers=None):
        obj = {"message": message,
               "documentation_url": "https://docs.github.com/rest"}
        if errors:
            obj["errors"] = errors
        self.send(status, obj, headers)

    # --- dispatch -------------------------------------------------------
    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        url = urlsplit(self.path)
        if url.path.startswith("/_admin/"):
            with LOCK:
                return self.admin(method, url)
        body, raw = self.body_json() if method in ("POST", "PATCH", "PUT") else (None, b"")
        st = self.server.st
        stall = 0
        with LOCK:
            st.requests += 1
            st.by_method[method] = st.by_method.get(method, 0) + 1
            route = re.sub(r"/\d+$", "/{n}", url.path)
            key = method + " " + route
            st.by_route[key] = st.by_route.get(key, 0) + 1
            fault = None
            for f in st.faults:
                if f.get("method", "*") in ("*", method) and f.get("times", 1) > 0 and \
                        f.get("path", "") in url.path and f.get("query", "") in url.query:
                    f["times"] = f.get("times", 1) - 1
                    fault = f
                    break
            st.faults = [f for f in st.faults if f.get("times", 1) > 0]
            if fault and "status" in fault:
                h = {}
                if "retry_after" in fault:
                    h["Retry-After"] = str(fault["retry_after"])
                if "reset_in" in fault:
                    st.remaining = 0
                    st.reset_at = int(time.time()) + int(fault["reset_in"])
                status = fault["status"]
                if status in (429, 403) and "reset_in" not in fault and "retry_after" not in fault:
                    st.remaining = 0
                msg = {429: "API rate limit exceeded", 403: "You have exceeded a secondary rate limit",
                       502: "Server Error", 503: "Service Unavailable", 500: "Server Error"}
                self.error(status, msg.get(status, "Injected"), headers=h)
                if status in (429, 403):
                    st.remaining = 5000
                return
            if fault and "stall" in fault:
                stall = float(fault["stall"])
            result = self.api(method, url, body)
        if stall:
            time.sleep(stall)
        self.send(*result)

    def api(self, method, url, body):
        """Returns (status, obj, headers) to send."""
        st = self.server.st
        if not self.headers.get("User-Agent"):
            return 403, {"message": "Request forbidden by administrative rules. "
                         "Please make sure your request has a User-Agent header"}, {}
        auth = self.headers.get("Authorization") or ""
        if auth not in ("Bearer " + st.token, "token " + st.token):
            return 401, {"message": "Bad credentials",
                         "documentation_url": "https://docs.github.com/rest"}, {}
        if body == "INVALID":
            return 400, {"message": "Problems parsing JSON"}, {}
        st.remaining -= 1
        if url.path == "/user" and method == "GET":
            return 200, dict(st.user("closeloop-bot", self.base()), name="closeloop",
                             company=None, blog="", location=None, email=None,
                             hireable=None, bio=None, twitter_username=None,
                             public_repos=0, public_gists=0, followers=0, following=0,
                             created_at="2020-01-01T00:00:00Z",
                             updated_at="2020-01-01T00:00:00Z"), {}
        m = re.match(r"^/repos/([^/]+)/([^/]+)/issues(?:/(\d+))?/?$", url.path)
        if not m or m.group(1).lower() != st.owner.lower() or m.group(2).lower() != st.repo.lower():
            return 404, {"message": "Not Found"}, {}
        number = int(m.group(3)) if m.group(3) else None
        if number is None and method == "GET":
            return self.list(url)
        if number is None and method == "POST":
            return self.create(body)
        if number is not None and method in ("GET", "PATCH"):
            it = st.issues.get(number)
            if it is None:
                return 404, {"message": "Not Found"}, {}
            if it["deleted"]:
                return 410, {"message": "This issue was deleted"}, {}
            if it["transferred"]:
                loc = "%s/repositories/99/issues/%d" % (self.base(), number)
                return 301, {"message": "Moved Permanently", "url": loc}, {"Location": loc}
            if method == "PATCH":
                err = self.patch(it, body or {})
                if err:
                    return err
            if self.headers.get("If-None-Match"):
                obj = st.render(it, self.base())
                tag = 'W/"%s"' % hashlib.sha1(json.dumps(obj).encode()).hexdigest()
                if self.headers.get("If-None-Match") == tag:
                    st.remaining += 1
                    return 304, None, {"ETag": tag}
            return 200, st.render(it, self.base()), {}
        return 404, {"message": "Not Found"}, {}

    def validation(self, field, code="invalid"):
        return 422, {"message": "Validation Failed",
                     "errors": [{"resource": "Issue", "field": field, "code": code}],
                     "documentation_url": "https://docs.github.com/rest"}, {}

    def create(self, b):
        st = self.server.st
        if not isinstance(b, dict):
            return 400, {"message": "Problems parsing JSON"}, {}
        title = b.get("title")
        if isinstance(title, int):
            title = str(title)
        if not isinstance(title, str) or not title.strip():
            return self.validation("title", "missing_field")
        if st.reject and st.reject in title:
            return self.validation("title")
        labels = b.get("labels") or []
        assignees = b.get("assignees") or ([b["assignee"]] if b.get("assignee") else [])
        # GitHub silently drops assignees without push access
        assignees = [a for a in assignees if a not in st.dropped] if isinstance(assignees, list) else assignees
        if not all(isinstance(x, str) for x in labels) or not all(isinstance(x, str) for x in assignees):
            return self.validation("labels")
        it = st.new_issue(title, b.get("body"), labels, assignees)
        return 201, st.render(it, self.base()), {"Location": st.render(it, self.base())["url"]}

    def patch(self, it, b):
        if not isinstance(b, dict):
            return 400, {"message": "Problems parsing JSON"}, {}
        if "title" in b:
            if not isinstance(b["title"], str) or not b["title"].strip():
                return self.validation("title")
            it["title"] = b["title"]
        if "body" in b:
            it["body"] = b["body"]
        if "labels" in b:
            it["labels"] = [x if isinstance(x, str) else x.get("name") for x in b["labels"]]
        if "assignees" in b:
            it["assignees"] = [a for a in b["assignees"] if a not in self.server.st.dropped]
        if "state" in b:
            if b["state"] not in ("open", "closed"):
                return self.validation("state")
            self.server.st.set_state(it, b["state"], b.get("state_reason"))
        it["updated_at"] = time.time()
        return None

    def list(self, url):
        st = self.server.st
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        state = q.get("state", "open")
        sort = q.get("sort", "created")
        direction = q.get("direction", "desc")
        try:
            per_page = min(max(int(q.get("per_page", 30)), 1), 100)
            page = max(int(q.get("page", 1)), 1)
        except ValueError:
            return self.validation("per_page")
        if state not in ("open", "closed", "all") or sort not in ("created", "updated", "comments") \
                or direction not in ("asc", "desc"):
            return 422, {"message": "Validation Failed"}, {}
        since = None
        if "since" in q:
            try:
                since = parse_iso(q["since"])
            except ValueError:
                return 422, {"message": "Validation Failed"}, {}
        items = [it for it in st.issues.values() if not it["deleted"] and not it["transferred"]]
        if state != "all":
            items = [it for it in items if it["state"] == state]
        if since is not None:
            items = [it for it in items if int(it["updated_at"]) >= int(since)]
        if "labels" in q:
            want = [l for l in q["labels"].split(",") if l]
            items = [it for it in items if all(l in it["labels"] for l in want)]
        keyf = {"created": lambda it: (int(it["created_at"]), it["number"]),
                "updated": lambda it: (int(it["updated_at"]), it["number"]),
                "comments": lambda it: (0, it["number"])}[sort]
        items.sort(key=keyf, reverse=(direction == "desc"))
        pages = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page: page * per_page]
        obj = [st.render(it, self.base()) for it in chunk]
        headers = {}
        links = []

        def link(p, rel):
            qq = dict(q)
            qq["page"] = str(p)
            return '<%s%s?%s>; rel="%s"' % (self.base(), url.path, urlencode(qq), rel)
        if page > 1:
            links.append(link(page - 1, "prev"))
            links.append(link(1, "first"))
        if page < pages:
            links.append(link(page + 1, "next"))
            links.append(link(pages, "last"))
        if links:
            headers["Link"] = ", ".join(links)
        data = json.dumps(obj).encode()
        tag = 'W/"%s"' % hashlib.sha1(data).hexdigest()
        if self.headers.get("If-None-Match") == tag:
            st.remaining += 1     # a 304 does not count against the limit
            return 304, None, dict(headers, ETag=tag)
        return 200, obj, headers

    # --- admin ----------------------------------------------------------
    def admin(self, method, url):
        st = self.server.st
        body, _ = self.body_json() if method == "POST" else (None, b"")
        p = url.path
        if p == "/_admin/stats":
            markers = {}
            for it in st.issues.values():
                if it["pull"]:
                    continue
                for k in re.findall(r"closeloop:([A-Za-z0-9._-]*[A-Za-z0-9_-])", it["body"] or ""):
                    markers[k] = markers.get(k, 0) + 1
            return self.send(200, {
                "requests": st.requests, "by_method": st.by_method, "by_route": st.by_route,
                "issues": len([i for i in st.issues.values() if not i["pull"]]),
                "open": len([i for i in st.issues.values() if i["state"] == "open" and not i["pull"]]),
                "markers": markers,
                "list": [dict(st.render(i, self.base()), deleted=i["deleted"])
                         for i in sorted(st.issues.values(), key=lambda i: i["number"])],
            }, etag=False)
        if p == "/_admin/faults":
            st.faults.extend((body or {}).get("faults", []))
            return self.send(200, {"queued": len(st.faults)}, etag=False)
        if p == "/_admin/reject":
            st.reject = (body or {}).get("title_contains")
            return self.send(200, {}, etag=False)
        if p == "/_admin/drop-assignee":
            st.dropped = set((body or {}).get("handles", []))
            return self.send(200, {}, etag=False)
        if p == "/_admin/reset-counts":
            st.requests = 0
            st.by_method = {}
            st.by_route = {}
            return self.send(200, {}, etag=False)
        if p == "/_admin/pull":
            it = st.new_issue((body or {}).get("title", "A pull request"), "closeloop:not-an-item",
                              [], [], pull=True)
            return self.send(200, {"number": it["number"]}, etag=False)
        if p == "/_admin/file":
            b = body or {}
            it = st.new_issue(b.get("title", "Filed by hand"), b.get("body"), [], [])
            it["author"] = b.get("user", "mallory")
            return self.send(200, st.render(it, self.base()), etag=False)
        m = re.match(r"^/_admin/issue/(\d+)$", p)
        if m and method == "POST":
            it = st.issues.get(int(m.group(1)))
            if it is None:
                return self.send(404, {"message": "no such issue"}, etag=False)
            b = body or {}
            if "state" in b:
                st.set_state(it, b["state"], b.get("state_reason"))
            if "title" in b:
                it["title"] = b["title"]
            if "body" in b:
                it["body"] = b["body"]
            if "assignee" in b:
                it["assignees"] = [b["assignee"]] if b["assignee"] else []
            if b.get("deleted"):
                it["deleted"] = True
            if b.get("transferred"):
                it["transferred"] = True
            it["updated_at"] = time.time()
            return self.send(200, st.render(it, self.base()), etag=False)
        return self.send(404, {"message": "unknown admin endpoint"}, etag=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token", default="test-token")
    ap.add_argument("--repo", default="acme/ops")
    ap.add_argument("--public-url")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--max-seconds", type=int, default=1800,
                    help="exit after this long, whatever happens")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.st = State(args)
    srv.verbose = args.verbose
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    t = threading.Timer(args.max_seconds, srv.shutdown)
    t.daemon = True
    t.start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
