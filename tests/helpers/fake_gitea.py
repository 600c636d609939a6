#!/usr/bin/python3
"""A fake Gitea/Forgejo REST API (/api/v1) for closeloop's tests (stdlib only).

Written after Gitea's API description (swagger: CreateIssueOption,
EditIssueOption, Issue, CreateLabelOption, CreateIssueCommentOption) and its
handlers:
  POST  /api/v1/repos/{o}/{r}/issues          title (required), body,
                                              assignees [login], labels
                                              [int64], due_date (date-time,
                                              kept as sent), milestone, closed
                                              -> 201; unknown assignee -> 422
  GET   /api/v1/repos/{o}/{r}/issues          state (default open), type,
                                              since (updated at or after),
                                              page, limit (capped at 50, the
                                              default MAX_RESPONSE_ITEMS);
                                              newest first; Link and
                                              X-Total-Count headers
  GET   /api/v1/repos/{o}/{r}/issues/{n}
  PATCH /api/v1/repos/{o}/{r}/issues/{n}      title, body, assignees, state,
                                              due_date (moved to 23:59:59 of
                                              its date in the zone sent),
                                              unset_due_date -> 201
  POST  /api/v1/repos/{o}/{r}/issues/{n}/comments  body -> 201
  GET   /api/v1/repos/{o}/{r}/labels          page, limit; Link
  POST  /api/v1/repos/{o}/{r}/labels          name, color (required) -> 201
Times are whole seconds in the server's zone (--server-tz-hours, default +2).
Auth: Authorization: token T (or Bearer) -> else 401. Unknown fields in
bodies are refused (422) so that the tests notice requests that do not
follow the description. Faults, counters, admin: see fakebase.py.
"""
import argparse
import os
import re
import sys
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakebase  # noqa: E402

CREATE_KEYS = {"title", "body", "assignee", "assignees", "labels", "due_date", "milestone",
               "closed", "ref"}
EDIT_KEYS = {"title", "body", "assignee", "assignees", "due_date", "unset_due_date",
             "milestone", "state", "ref"}


class Gitea(fakebase.Backend):
    name = "fake_gitea"

    def __init__(self, args):
        super().__init__(args)
        self.owner, self.repo = args.repo.split("/", 1)
        self.tz = timezone(timedelta(hours=args.server_tz_hours))
        self.users = [u for u in args.users.split(",") if u]
        self.labels = []
        self.issues_ = {}
        self.next_n = 1
        self.next_label = 1
        self.max_items = 50

    def issues(self):
        return [self.issues_[k] for k in sorted(self.issues_)]

    def auth(self, h):
        a = h.headers.get("Authorization") or ""
        if a not in ("token " + self.token, "Bearer " + self.token):
            return 401, {"message": "user does not exist [uid: 0, name: ]", "url": ""}, {}
        return None

    def error(self, status, message):
        return {"message": message, "url": "https://gitea.example.invalid/api/swagger"}

    def route(self, method, path):
        p = re.sub(r"^/api/v1/repos/[^/]+/[^/]+", "/repos/{o}/{r}", path)
        return method + " " + re.sub(r"/issues/\d+", "/issues/{n}", p)

    def ts(self, t):
        return datetime.fromtimestamp(int(t), self.tz).isoformat()

    def user(self, login):
        return {"id": 10 + (self.users.index(login) if login in self.users else 90),
                "login": login, "full_name": login.title(), "email": login + "@example.invalid",
                "avatar_url": "", "username": login}

    def render(self, it, base):
        api = "%s/api/v1/repos/%s/%s" % (base, self.owner, self.repo)
        labs = [l for l in self.labels if l["id"] in it["labels"]]
        assignees = [self.user(a) for a in it["assignees"]]
        return {
            "id": 7000 + it["number"], "url": "%s/issues/%d" % (api, it["number"]),
            "html_url": "https://gitea.example.invalid/%s/%s/issues/%d" % (self.owner, self.repo,
                                                                          it["number"]),
            "number": it["number"], "user": self.user(it.get("author", "closeloop-bot")),
            "original_author": "", "original_author_id": 0,
            "title": it["title"], "body": it["body"], "ref": "",
            "labels": labs, "milestone": None,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees or None, "state": it["state"], "is_locked": False,
            "comments": len(it["comments"]), "created_at": self.ts(it["created"]),
            "updated_at": self.ts(it["updated"]),
            "closed_at": self.ts(it["closed"]) if it["closed"] else None,
            "due_date": self.ts(it["due"]) if it["due"] else None,
            "pull_request": None,
            "repository": {"id": 1, "name": self.repo, "owner": self.owner,
                           "full_name": self.owner + "/" + self.repo},
        }

    def due_date(self, it):
        if not it["due"]:
            return None
        return datetime.fromtimestamp(int(it["due"]), self.tz).strftime("%Y-%m-%d")

    def norm(self, it):
        return {"id": str(it["number"]), "title": it["title"], "body": it["body"],
                "state": it["state"], "assignee": it["assignees"][0] if it["assignees"] else None,
                "due": self.due_date(it),
                "labels": [l["name"] for l in self.labels if l["id"] in it["labels"]],
                "comments": list(it["comments"]), "deleted": it["deleted"]}

    def touch(self, it):
        it["updated"] = fakebase.tick()

    def set_state(self, it, state):
        if state == "closed" and it["state"] != "closed":
            it["state"] = "closed"
            it["closed"] = fakebase.tick()
        elif state == "open" and it["state"] == "closed":
            it["state"] = "open"
            it["closed"] = None

    def parse_dt(self, s):
        if not isinstance(s, str):
            raise ValueError("not a string")
        return datetime.fromisoformat(s.replace("Z", "+00:00"))

    # --- API ------------------------------------------------------------
    def api(self, h, method, path, q, body):
        if path == "/api/v1/user" and method == "GET":
            return 200, self.user("closeloop-bot"), {}
        m = re.match(r"^/api/v1/repos/([^/]+)/([^/]+)/(issues|labels)(?:/(\d+))?(/comments)?/?$",
                     path)
        if not m or m.group(1).lower() != self.owner.lower() or \
                m.group(2).lower() != self.repo.lower():
            return 404, {"errors": None, "message": "not found", "url": ""}, {}
        if m.group(3) == "labels":
            if m.group(4) or m.group(5):
                return 404, {"message": "not found"}, {}
            if method == "GET":
                return self.page(h, path, q, self.labels, lambda l: l)
            if method == "POST":
                return self.new_label(body)
            return 405, {"message": "method not allowed"}, {}
        n = int(m.group(4)) if m.group(4) else None
        if n is None:
            if method == "GET":
                return self.list(h, path, q)
            if method == "POST":
                return self.create(h, body)
            return 405, {"message": "method not allowed"}, {}
        it = self.issues_.get(n)
        if it is None or it["deleted"]:
            return 404, {"errors": None, "message": "not found", "url": ""}, {}
        if m.group(5):
            if method != "POST":
                return 405, {"message": "method not allowed"}, {}
            if not isinstance(body, dict) or set(body) - {"body"} or \
                    not isinstance(body.get("body"), str) or not body["body"]:
                return 422, {"message": "[Body]: Required"}, {}
            it["comments"].append(body["body"])
            self.touch(it)
            return 201, {"id": 100 + len(it["comments"]), "body": body["body"],
                         "user": self.user("closeloop-bot")}, {}
        if method == "GET":
            return 200, self.render(it, h.base()), {}
        if method == "PATCH":
            err = self.edit(it, body)
            if err:
                return err
            return 201, self.render(it, h.base()), {}
        return 405, {"message": "method not allowed"}, {}

    def new_label(self, b):
        if not isinstance(b, dict) or set(b) - {"name", "color", "description", "exclusive",
                                                 "is_archived"}:
            return 422, {"message": "unknown field"}, {}
        if not isinstance(b.get("name"), str) or not b["name"]:
            return 422, {"message": "[Name]: Required"}, {}
        if not isinstance(b.get("color"), str) or \
                not re.match(r"^#?[0-9a-fA-F]{6}$", b["color"]):
            return 422, {"message": "[Color]: Required"}, {}
        lab = {"id": self.next_label, "name": b["name"], "color": b["color"].lstrip("#"),
               "description": b.get("description", ""), "exclusive": False,
               "url": "https://gitea.example.invalid/labels/%d" % self.next_label}
        self.next_label += 1
        self.labels.append(lab)
        return 201, lab, {}

    def check_assignees(self, b):
        a = b.get("assignees")
        if a is None:
            return None
        if not isinstance(a, list) or not all(isinstance(x, str) for x in a):
            return 422, {"message": "[Assignees]: must be a list of logins"}, {}
        for x in a:
            if x not in self.users:
                return 422, {"message": "Assignee does not exist: [name: %s]" % x}, {}
        return None

    def create(self, h, b):
        if not isinstance(b, dict):
            return 422, {"message": "[Title]: Required"}, {}
        bad = sorted(set(b) - CREATE_KEYS)
        if bad:
            return 422, {"message": "unknown field: %s" % bad[0]}, {}
        if not isinstance(b.get("title"), str) or not b["title"].strip():
            return 422, {"message": "[Title]: Required"}, {}
        if self.reject and self.reject in b["title"]:
            return 422, {"message": "[Title]: refused (test)"}, {}
        err = self.check_assignees(b)
        if err:
            return err
        labels = b.get("labels") or []
        if not isinstance(labels, list) or not all(isinstance(x, int) and not isinstance(x, bool)
                                                   for x in labels):
            return 422, {"message": "[Labels]: must be label ids"}, {}
        known = {l["id"] for l in self.labels}
        due = None
        if b.get("due_date") is not None:
            try:
                due = self.parse_dt(b["due_date"]).timestamp()
            except ValueError:
                return 422, {"message": "[DueDate]: invalid date-time"}, {}
        now = fakebase.tick()
        it = {"number": self.next_n, "title": b["title"], "body": b.get("body", ""),
              "labels": [x for x in labels if x in known], "assignees": self.keep(list(b.get("assignees") or [])),
              "state": "open", "created": now, "updated": now, "closed": None, "due": due,
              "comments": [], "deleted": False}
        self.issues_[it["number"]] = it
        self.next_n += 1
        return 201, self.render(it, h.base()), {}

    def edit(self, it, b):
        if not isinstance(b, dict):
            return 422, {"message": "invalid body"}, {}
        bad = sorted(set(b) - EDIT_KEYS)
        if bad:
            return 422, {"message": "unknown field: %s" % bad[0]}, {}
        err = self.check_assignees(b)
        if err:
            return err
        if "state" in b and b["state"] not in ("open", "closed"):
            return 422, {"message": "[State]: invalid"}, {}
        if "title" in b and isinstance(b["title"], str) and b["title"]:
            it["title"] = b["title"]
        if "body" in b:
            it["body"] = b["body"]
        if "assignees" in b:
            it["assignees"] = self.keep(list(b["assignees"]))
        if b.get("unset_due_date"):
            it["due"] = None
        elif b.get("due_date") is not None:
            try:
                d = self.parse_dt(b["due_date"])
            except ValueError:
                return 422, {"message": "[DueDate]: invalid date-time"}, {}
            it["due"] = datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=d.tzinfo).timestamp()
        if "state" in b:
            self.set_state(it, b["state"])
        self.touch(it)
        return None

    def page(self, h, path, q, items, render):
        def one(k, d=None):
            return q[k][-1] if k in q else d
        try:
            limit = min(max(int(one("limit", "50")), 1), self.max_items)
            page = max(int(one("page", "1")), 1)
        except ValueError:
            return 422, {"message": "invalid page/limit"}, {}
        total = len(items)
        pages = max((total + limit - 1) // limit, 1)
        chunk = items[(page - 1) * limit: page * limit]
        hd = {"X-Total-Count": str(total)}
        links = []

        def link(p, rel):
            qq = {k: v[-1] for k, v in q.items()}
            qq["page"] = str(p)
            qq["limit"] = str(limit)
            return '<%s%s?%s>; rel="%s"' % (h.base(), path, urlencode(qq), rel)
        if page < pages:
            links.append(link(page + 1, "next"))
            links.append(link(pages, "last"))
        if page > 1:
            links.append(link(1, "first"))
            links.append(link(page - 1, "prev"))
        if links:
            hd["Link"] = ",".join(links)
        return 200, [render(x) for x in chunk], hd

    def list(self, h, path, q):
        def one(k, d=None):
            return q[k][-1] if k in q else d
        state = one("state", "open")
        if state not in ("open", "closed", "all"):
            return 422, {"message": "invalid state"}, {}
        items = [it for it in self.issues() if not it["deleted"]]
        if state != "all":
            items = [it for it in items if it["state"] == state]
        if "since" in q:
            try:
                since = int(self.parse_dt(one("since")).timestamp())
            except ValueError:
                return 422, {"message": "invalid since"}, {}
            items = [it for it in items if int(it["updated"]) >= since]
        items.sort(key=lambda it: (it["created"], it["number"]), reverse=True)
        return self.page(h, path, q, items, lambda it: self.render(it, h.base()))

    # --- admin ------------------------------------------------------------
    def seed(self, b):
        now = fakebase.tick()
        it = {"number": self.next_n, "title": b.get("title", "Filed by hand"),
              "body": b.get("body", ""), "labels": [], "assignees": [], "state": "open",
              "created": now, "updated": now, "closed": None, "due": None, "comments": [],
              "deleted": False, "author": b.get("author", "a-person")}
        self.issues_[it["number"]] = it
        self.next_n += 1
        return it

    def person(self, ident, b):
        try:
            it = self.issues_.get(int(ident))
        except ValueError:
            return None
        if it is None:
            return None
        if "state" in b:
            self.set_state(it, b["state"])
        if "title" in b:
            it["title"] = b["title"]
        if "body" in b:
            it["body"] = b["body"]
        if "assignee" in b:
            it["assignees"] = [b["assignee"]] if b["assignee"] else []
        if "due" in b:
            # the web UI: 23:59:59 of the day in the server's zone
            if b["due"]:
                y, mo, d = (int(x) for x in b["due"].split("-"))
                it["due"] = datetime(y, mo, d, 23, 59, 59, tzinfo=self.tz).timestamp()
            else:
                it["due"] = None
        if b.get("deleted"):
            it["deleted"] = True
        self.touch(it)
        return it


def main():
    ap = argparse.ArgumentParser()
    fakebase.common_args(ap)
    ap.add_argument("--repo", default="acme/ops")
    ap.add_argument("--users", default="alice-gt,bob-gt")
    ap.add_argument("--server-tz-hours", type=int, default=2)
    args = ap.parse_args()
    fakebase.serve(Gitea(args), args)


if __name__ == "__main__":
    main()
