#!/usr/bin/python3
"""A fake Jira REST API, Cloud (v3) or Data Center (v2), for closeloop's tests
(stdlib only). Written after the Jira Cloud platform REST API v3 and Jira
Server/Data Center REST API v2 references:
  GET  /rest/api/N/myself                  {accountId|name, timeZone}
  POST /rest/api/N/issue                   {"fields": {project {key},
                                           issuetype {name}, summary,
                                           description (v3: ADF document,
                                           v2: string), labels [no spaces],
                                           duedate YYYY-MM-DD, assignee
                                           {accountId} (v3) / {name} (v2),
                                           required custom fields}} -> 201
                                           {id, key, self}; 400 {errorMessages,
                                           errors: {field: message}}
  GET  /rest/api/N/issue/{key}             ?fields=
  PUT  /rest/api/N/issue/{key}             {"fields": {...}} -> 204
  GET  /rest/api/N/issue/{key}/transitions {transitions: [{id, name, to:
                                           {name, statusCategory {key}}}]}
  POST /rest/api/N/issue/{key}/transitions {"transition": {"id"}} -> 204
  POST /rest/api/N/issue/{key}/comment     {"body": ADF (v3) | string (v2)}
  GET|POST /rest/api/3/search/jql          jql, nextPageToken, maxResults
                                           (max 100), fields (default: id
                                           only) -> {issues, nextPageToken,
                                           isLast}; /rest/api/3/search -> 410
  GET|POST /rest/api/2/search              jql, startAt, maxResults, fields
                                           -> {startAt, maxResults, total,
                                           issues}   (Data Center)
JQL understood: project = KEY [AND updated >= "yyyy-MM-dd HH:mm"] [ORDER BY
updated ASC|DESC], the time in the account's zone (--tz), minute precision.
Workflow: To Do (new), In Progress (indeterminate), Done and Won't Do (done).
Auth: Cloud Basic base64(user:token), DC Bearer token; else 401.
Search is eventually consistent on demand: POST /_admin/hide-new
{"searches": n} hides issues created afterwards from the next n searches.
Faults, counters, admin: see fakebase.py.
"""
import argparse
import base64
import os
import re
import sys
from datetime import datetime, timezone
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakebase  # noqa: E402

STATUSES = {
    "To Do": ("10000", "new", 2), "In Progress": ("3", "indeterminate", 4),
    "Done": ("10001", "done", 3), "Won't Do": ("10002", "done", 3),
}
TRANSITIONS = [("11", "Reopen", "To Do"), ("21", "Start", "In Progress"),
               ("31", "Done", "Done"), ("41", "Won't Do", "Won't Do")]
SYSTEM_FIELDS = {"project", "issuetype", "summary", "description", "labels", "duedate",
                 "assignee", "priority", "components", "reporter"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
JQL = re.compile(r'^project\s*=\s*"?([A-Za-z0-9_]+)"?'
                 r'(?:\s+AND\s+updated\s*>=\s*"(\d{4}-\d{2}-\d{2} \d{2}:\d{2})")?'
                 r'(?:\s+ORDER\s+BY\s+updated\s+(ASC|DESC))?\s*$', re.I)


def adf_ok(node, top=True):
    """A small ADF validator: doc → block nodes → inline nodes."""
    if not isinstance(node, dict) or "type" not in node:
        return "node without type"
    t = node["type"]
    if top:
        if t != "doc" or node.get("version") != 1 or not isinstance(node.get("content"), list):
            return "description must be an Atlassian Document Format document"
        for b in node["content"]:
            e = adf_ok(b, False)
            if e:
                return e
        return None
    if t in ("paragraph", "heading"):
        for i in node.get("content", []):
            if not isinstance(i, dict) or i.get("type") not in ("text", "hardBreak", "mention",
                                                                 "emoji", "inlineCard"):
                return "bad inline node in %s" % t
            if i["type"] == "text" and (not isinstance(i.get("text"), str) or not i["text"]):
                return "text nodes must have non-empty text"
        return None
    if t in ("bulletList", "orderedList", "listItem", "blockquote", "codeBlock", "rule"):
        for b in node.get("content", []):
            if b.get("type") != "text":
                e = adf_ok(b, False)
                if e:
                    return e
        return None
    return "unknown block node %s" % t


def adf_text(node):
    t = node.get("type")
    if t == "text":
        return node.get("text", "")
    if t == "hardBreak":
        return "\n"
    kids = node.get("content", [])
    if t == "doc":
        return "\n\n".join(adf_text(k) for k in kids)
    return "".join(adf_text(k) for k in kids)


def adf(text):
    paras = [p for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    content = []
    for p in paras:
        inl = []
        for i, line in enumerate(p.split("\n")):
            if i:
                inl.append({"type": "hardBreak"})
            if line:
                inl.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": inl})
    return {"type": "doc", "version": 1, "content": content}


class Jira(fakebase.Backend):
    name = "fake_jira"

    def __init__(self, args):
        super().__init__(args)
        self.dc = args.flavor == "datacenter"
        self.v = "2" if self.dc else "3"
        self.key = args.project
        self.tz = ZoneInfo(args.tz)
        self.tzname = args.tz
        self.user = args.user
        # handle -> display name; Cloud handles are account ids
        self.people = {}
        for u in args.users.split(","):
            if u:
                self.people[u] = u.split(":")[-1]
        self.required = [f for f in args.require_field.split(",") if f]
        self.issue_types = {"Task", "Bug", "Story"}
        self.issues_ = {}
        self.next_n = 1
        self.hide = 0
        self.myself = 0

    def issues(self):
        return [self.issues_[k] for k in sorted(self.issues_, key=lambda k: int(k.split("-")[1]))]

    def auth(self, h):
        a = h.headers.get("Authorization") or ""
        if self.dc:
            good = a == "Bearer " + self.token
        else:
            want = base64.b64encode(("%s:%s" % (self.user, self.token)).encode()).decode()
            good = a == "Basic " + want
        if not good:
            return 401, {"errorMessages": ["You are not authenticated. Authentication "
                                           "required to perform this operation."],
                         "errors": {}}, {}
        return None

    def error(self, status, message):
        return {"errorMessages": [message], "errors": {}}

    def route(self, method, path):
        p = re.sub(r"/issue/[A-Z0-9_]+-\d+", "/issue/{key}", path)
        return method + " " + re.sub(r"^/rest/api/\d", "", p)

    def ts(self, t):
        d = datetime.fromtimestamp(t, self.tz)
        return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (d.microsecond // 1000) + \
            d.strftime("%z")

    def me(self):
        """The handle of the token's account (what /myself answers)."""
        return "me-" + self.user if not self.dc else self.user

    def person_obj(self, handle):
        if handle is None:
            return None
        o = {"displayName": self.people.get(handle, handle), "active": True,
             "timeZone": self.tzname}
        if self.dc:
            o.update({"name": handle, "key": "JIRAUSER" + str(abs(hash(handle)) % 1000)})
        else:
            o.update({"accountId": handle, "accountType": "atlassian"})
        return o

    def status_obj(self, name):
        sid, cat, cid = STATUSES[name]
        return {"name": name, "id": sid,
                "statusCategory": {"key": cat, "id": cid, "name": cat.title()}}

    def render(self, it, fields, base):
        f = {
            "summary": it["summary"], "status": self.status_obj(it["status"]),
            "description": it["description"], "assignee": self.person_obj(it["assignee"]),
            "duedate": it["duedate"], "labels": list(it["labels"]),
            "updated": self.ts(it["updated"]), "created": self.ts(it["created"]),
            "resolutiondate": self.ts(it["resolved"]) if it["resolved"] else None,
            "issuetype": {"name": it["type"]}, "project": {"key": self.key},
            "creator": self.person_obj(it.get("author") or self.me()),
        }
        for k, v in it["custom"].items():
            f[k] = v
        if fields is not None and "*all" not in fields:
            f = {k: v for k, v in f.items() if k in fields}
        d = {"id": str(10000 + it["n"]), "key": it["key"],
             "self": "%s/rest/api/%s/issue/%d" % (base, self.v, 10000 + it["n"])}
        if fields is None or fields:
            d["fields"] = f
        return d

    def text_of(self, desc):
        if desc is None:
            return None
        return adf_text(desc) if isinstance(desc, dict) else desc

    def norm(self, it):
        return {"id": it["key"], "title": it["summary"], "body": self.text_of(it["description"]),
                "state": "closed" if STATUSES[it["status"]][1] == "done" else "open",
                "status": it["status"], "assignee": it["assignee"], "due": it["duedate"],
                "labels": list(it["labels"]),
                "comments": [self.text_of(c) for c in it["comments"]],
                "deleted": it["deleted"], "custom": it["custom"]}

    def touch(self, it):
        it["updated"] = fakebase.tick()

    def move(self, it, status):
        it["status"] = status
        if STATUSES[status][1] == "done":
            it["resolved"] = it["resolved"] or fakebase.tick()
        else:
            it["resolved"] = None

    def find(self, key):
        it = self.issues_.get(key.upper())
        return None if it is None or it["deleted"] else it

    # --- API ------------------------------------------------------------
    def api(self, h, method, path, q, body):
        m = re.match(r"^/rest/api/(\d)(/.*)$", path)
        if not m or m.group(1) != self.v:
            return 404, {"errorMessages": ["null for uri: " + path]}, {}
        p = m.group(2).rstrip("/")
        if p == "/myself" and method == "GET":
            self.myself += 1
            o = self.person_obj(self.me())
            o["emailAddress"] = self.user if not self.dc else self.user + "@example.invalid"
            return 200, o, {}
        if p == "/search" and not self.dc:
            return 410, {"errorMessages": ["The requested API has been removed. Please migrate "
                                           "to the /rest/api/3/search/jql API."]}, {}
        if (p == "/search/jql" and not self.dc) or (p == "/search" and self.dc):
            if method == "POST":
                if not isinstance(body, dict):
                    return 400, {"errorMessages": ["Invalid request payload."]}, {}
                args = body
            elif method == "GET":
                args = {k: v[-1] for k, v in q.items()}
            else:
                return 405, {"errorMessages": ["method not allowed"]}, {}
            return self.search(h, args)
        if p == "/issue" and method == "POST":
            return self.create(h, body)
        m = re.match(r"^/issue/([A-Za-z0-9_]+-\d+)(/transitions|/comment)?$", p)
        if not m:
            return 404, {"errorMessages": ["null for uri: " + path]}, {}
        it = self.find(m.group(1))
        if it is None:
            return 404, {"errorMessages": ["Issue does not exist or you do not have "
                                           "permission to see it."], "errors": {}}, {}
        sub = m.group(2)
        if sub is None and method == "GET":
            fields = None
            if "fields" in q:
                fields = [f for f in q["fields"][-1].split(",") if f]
            return 200, self.render(it, fields, h.base()), {}
        if sub is None and method == "PUT":
            return self.update(it, body)
        if sub == "/transitions" and method == "GET":
            tr = [{"id": tid, "name": name, "to": self.status_obj(to), "hasScreen": False,
                   "isGlobal": True, "isInitial": False, "isConditional": False}
                  for tid, name, to in TRANSITIONS if to != it["status"]]
            return 200, {"expand": "transitions", "transitions": tr}, {}
        if sub == "/transitions" and method == "POST":
            tid = ((body or {}).get("transition") or {}).get("id") if isinstance(body, dict) else None
            for t_id, _, to in TRANSITIONS:
                if t_id == tid and to != it["status"]:
                    self.move(it, to)
                    self.touch(it)
                    return 204, None, {}
            return 400, {"errorMessages": ["Transition id '%s' is not valid for this issue."
                                           % tid], "errors": {}}, {}
        if sub == "/comment" and method == "POST":
            if not isinstance(body, dict) or "body" not in body:
                return 400, {"errorMessages": [], "errors": {"comment": "Comment body can not "
                                                                        "be empty!"}}, {}
            err = self.check_text(body["body"], "comment")
            if err:
                return err
            it["comments"].append(body["body"])
            self.touch(it)
            return 201, {"id": str(20000 + len(it["comments"])), "body": body["body"]}, {}
        return 405, {"errorMessages": ["method not allowed"]}, {}

    def check_text(self, v, field):
        if self.dc:
            if not isinstance(v, str):
                return 400, {"errorMessages": [], "errors": {field: "Operation value must be "
                                                                    "a string"}}, {}
            return None
        e = adf_ok(v)
        if e:
            return 400, {"errorMessages": [], "errors": {field: e}}, {}
        return None

    def check_fields(self, f, create):
        errs = {}
        for k in f:
            if k not in SYSTEM_FIELDS and k not in self.required:
                errs[k] = ("Field '%s' cannot be set. It is not on the appropriate screen, "
                           "or unknown." % k)
        if create:
            if (f.get("project") or {}).get("key") != self.key:
                errs["project"] = "valid project is required"
            if (f.get("issuetype") or {}).get("name") not in self.issue_types:
                errs["issuetype"] = "valid issue type is required"
            if not isinstance(f.get("summary"), str) or not f["summary"].strip():
                errs["summary"] = "You must specify a summary of the issue."
            for r in self.required:
                if f.get(r) in (None, "", {}):
                    errs[r] = "%s is required." % r
        if "summary" in f and (not isinstance(f["summary"], str) or len(f["summary"]) > 255
                               or "\n" in f["summary"]):
            errs["summary"] = "Summary must be less than 255 characters, one line."
        if "description" in f and f["description"] is not None:
            e = self.check_text(f["description"], "description")
            if e:
                errs.update(e[1]["errors"])
        if "labels" in f and (not isinstance(f["labels"], list) or
                              not all(isinstance(x, str) and x and " " not in x
                                      for x in f["labels"])):
            errs["labels"] = "The label contains spaces which is invalid."
        if "duedate" in f and f["duedate"] is not None and \
                (not isinstance(f["duedate"], str) or not DATE.match(f["duedate"])):
            errs["duedate"] = "Error parsing date string: %s" % f["duedate"]
        if "assignee" in f and f["assignee"] is not None:
            a = f["assignee"]
            k = "name" if self.dc else "accountId"
            if not isinstance(a, dict) or set(a) != {k} or a[k] not in self.people:
                errs["assignee"] = "Specified user does not exist or you do not have required " \
                                   "permissions"
        if errs:
            return 400, {"errorMessages": [], "errors": errs}, {}
        return None

    def create(self, h, b):
        if not isinstance(b, dict) or not isinstance(b.get("fields"), dict):
            return 400, {"errorMessages": ["Can not deserialize instance of IssueBean"]}, {}
        f = b["fields"]
        err = self.check_fields(f, True)
        if err:
            return err
        if self.reject and self.reject in f["summary"]:
            return 400, {"errorMessages": [], "errors": {"summary": "refused (test)"}}, {}
        now = fakebase.tick()
        key = "%s-%d" % (self.key, self.next_n)
        it = {"n": self.next_n, "key": key, "summary": f["summary"],
              "description": f.get("description"), "labels": list(f.get("labels") or []),
              "duedate": f.get("duedate"), "assignee": (self.keep([(f.get("assignee") or {}).get(
                  "name" if self.dc else "accountId")]) or [None])[0],
              "status": "To Do", "type": f["issuetype"]["name"], "created": now, "updated": now,
              "resolved": None, "comments": [], "deleted": False, "hidden": self.hide,
              "custom": {k: f[k] for k in self.required if k in f}}
        self.issues_[key] = it
        self.next_n += 1
        return 201, {"id": str(10000 + it["n"]), "key": key,
                     "self": "%s/rest/api/%s/issue/%d" % (h.base(), self.v, 10000 + it["n"])}, {}

    def update(self, it, b):
        if not isinstance(b, dict) or not isinstance(b.get("fields"), dict):
            return 400, {"errorMessages": ["Can not deserialize instance of IssueUpdateBean"]}, {}
        f = b["fields"]
        bad = [k for k in ("project", "issuetype") if k in f]
        if bad:
            return 400, {"errorMessages": [], "errors": {bad[0]: "cannot be changed here"}}, {}
        err = self.check_fields(f, False)
        if err:
            return err
        if "summary" in f:
            it["summary"] = f["summary"]
        if "description" in f:
            it["description"] = f["description"]
        if "labels" in f:
            it["labels"] = list(f["labels"])
        if "duedate" in f:
            it["duedate"] = f["duedate"]
        if "assignee" in f:
            it["assignee"] = (self.keep([(f["assignee"] or {}).get(
                "name" if self.dc else "accountId")]) or [None])[0]
        self.touch(it)
        return 204, None, {}

    def search(self, h, args):
        jql = args.get("jql") or ""
        m = JQL.match(jql.strip())
        if not m:
            return 400, {"errorMessages": ["Error in the JQL Query: cannot parse '%s'" % jql],
                         "errors": {}}, {}
        if m.group(1).upper() != self.key:
            return 400, {"errorMessages": ["The value '%s' does not exist for the field "
                                           "'project'." % m.group(1)], "errors": {}}, {}
        items = [it for it in self.issues() if not it["deleted"]]
        # the index lags: freshly made issues stay out of some searches
        visible = []
        for it in items:
            if it["hidden"] > 0:
                it["hidden"] -= 1
                continue
            visible.append(it)
        items = visible
        if m.group(2):
            local = datetime.strptime(m.group(2), "%Y-%m-%d %H:%M").replace(tzinfo=self.tz)
            since = local.timestamp()
            items = [it for it in items if it["updated"] >= since]
        items.sort(key=lambda it: (it["updated"], it["n"]),
                   reverse=(m.group(3) or "ASC").upper() == "DESC")
        fields = args.get("fields")
        if isinstance(fields, str):
            fields = [x for x in fields.split(",") if x]
        if fields is None:
            fields = [] if not self.dc else None     # Cloud: ids only by default
        try:
            maxr = int(args.get("maxResults", 50))
        except (TypeError, ValueError):
            return 400, {"errorMessages": ["maxResults must be a number"]}, {}
        maxr = min(max(maxr, 1), 100 if fields != [] else 5000)
        if self.dc:
            try:
                start = int(args.get("startAt", 0))
            except (TypeError, ValueError):
                return 400, {"errorMessages": ["startAt must be a number"]}, {}
            chunk = items[start:start + maxr]
            return 200, {"expand": "schema,names", "startAt": start, "maxResults": maxr,
                         "total": len(items),
                         "issues": [self.render(it, fields, h.base()) for it in chunk]}, {}
        tok = args.get("nextPageToken")
        try:
            start = int(base64.b64decode(tok).decode()[4:]) if tok else 0
        except (ValueError, UnicodeDecodeError):
            return 400, {"errorMessages": ["Invalid nextPageToken"]}, {}
        chunk = items[start:start + maxr]
        out = {"issues": [self.render(it, fields, h.base()) for it in chunk],
               "isLast": start + maxr >= len(items)}
        if not out["isLast"]:
            out["nextPageToken"] = base64.b64encode(("pos:%d" % (start + maxr)).encode()).decode()
        return 200, out, {}

    # --- admin ------------------------------------------------------------
    def seed(self, b):
        now = fakebase.tick()
        key = "%s-%d" % (self.key, self.next_n)
        desc = b.get("body")
        it = {"n": self.next_n, "key": key, "summary": b.get("title", "Filed by hand"),
              "description": (desc if self.dc else adf(desc)) if desc else None, "labels": [],
              "duedate": None, "assignee": None, "status": "To Do", "type": "Task",
              "created": now, "updated": now, "resolved": None, "comments": [],
              "deleted": False, "hidden": 0, "custom": {}, "author": b.get("author", "a-person")}
        self.issues_[key] = it
        self.next_n += 1
        return it

    def person(self, ident, b):
        it = self.issues_.get(ident.upper())
        if it is None:
            return None
        if "state" in b:
            self.move(it, "Done" if b["state"] == "closed" else "To Do")
        if "title" in b:
            it["summary"] = b["title"]
        if "body" in b:
            it["description"] = b["body"] if self.dc else adf(b["body"])
        if "assignee" in b:
            it["assignee"] = b["assignee"]
        if "due" in b:
            it["duedate"] = b["due"]
        if b.get("deleted"):
            it["deleted"] = True
        self.touch(it)
        return it

    def admin_extra(self, method, path, body):
        if path == "/_admin/hide-new":
            self.hide = int(body.get("searches", 0))
            return 200, {"hide": self.hide}
        if path == "/_admin/jira":
            return 200, {"myself": self.myself}
        return None


def main():
    ap = argparse.ArgumentParser()
    fakebase.common_args(ap)
    ap.add_argument("--flavor", choices=("cloud", "datacenter"), default="cloud")
    ap.add_argument("--project", default="OPS")
    ap.add_argument("--user", default="bot@example.com",
                    help="Cloud: the account e-mail of Basic auth; DC: the login")
    ap.add_argument("--users", default="",
                    help="comma-separated handles (Cloud account ids, DC names)")
    ap.add_argument("--tz", default="America/New_York", help="the account's time zone")
    ap.add_argument("--require-field", default="",
                    help="custom fields a create must carry (comma-separated)")
    args = ap.parse_args()
    fakebase.serve(Jira(args), args)


if __name__ == "__main__":
    main()
