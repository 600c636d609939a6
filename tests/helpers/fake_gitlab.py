#!/usr/bin/python3
"""A fake GitLab REST v4 issues API for closeloop's tests (stdlib only).

Written after GitLab's Issues, Notes, Users and REST pagination docs:
  POST /api/v4/projects/:id/issues          title (required), description,
                                            labels (comma-separated string),
                                            assignee_ids [int], assignee_id,
                                            due_date (YYYY-MM-DD) -> 201
  GET  /api/v4/projects/:id/issues          state, scope, labels, updated_after,
                                            order_by, sort, per_page (max
                                            100), page; x-page, x-per-page,
                                            x-next-page, x-total headers and
                                            Link (unless --no-link)
  GET  /api/v4/projects/:id/issues/:iid     404 when deleted
  PUT  /api/v4/projects/:id/issues/:iid     title, description, labels,
                                            add_labels, assignee_ids,
                                            due_date, state_event close|reopen;
                                            400 when no parameter is given
  POST /api/v4/projects/:id/issues/:iid/notes  body -> 201
  GET  /api/v4/users?username=              [] or [user]
:id is the numeric id (--project-id) or the URL-encoded path (--project,
"acme%2Fops"); an unencoded path is 404 as on GitLab. Auth: PRIVATE-TOKEN
or Authorization: Bearer (401 otherwise). Requests are checked against the
documented parameter types (400 with GitLab's {"message": {field: [..]}}).
Faults, counters and admin endpoints: see fakebase.py.
"""
import argparse
import os
import re
import sys
import time
from urllib.parse import quote, urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakebase  # noqa: E402

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CREATE_KEYS = {"title", "description", "labels", "assignee_ids", "assignee_id", "due_date",
               "confidential", "milestone_id", "issue_type", "weight", "created_at"}
UPDATE_KEYS = {"title", "description", "labels", "add_labels", "remove_labels",
               "assignee_ids", "assignee_id", "due_date", "state_event", "confidential",
               "milestone_id", "weight", "discussion_locked", "updated_at", "issue_type"}


class GitLab(fakebase.Backend):
    name = "fake_gitlab"

    def __init__(self, args):
        super().__init__(args)
        self.path = args.project
        self.pid = args.project_id
        self.link = not args.no_link
        self.users = {}
        for i, u in enumerate(args.users.split(",")):
            if u:
                self.users[u] = 100 + i
        self.issues_ = {}
        self.next_iid = 1
        self.notes = 0

    # --- plumbing -------------------------------------------------------
    def issues(self):
        return [self.issues_[k] for k in sorted(self.issues_)]

    def auth(self, h):
        tok = h.headers.get("PRIVATE-TOKEN")
        if tok is None:
            a = h.headers.get("Authorization") or ""
            tok = a[7:] if a.startswith("Bearer ") else None
        if tok != self.token:
            return 401, {"message": "401 Unauthorized"}, {}
        return None

    def error(self, status, message):
        return {"message": "%d %s" % (status, message)}

    def route(self, method, path):
        p = re.sub(r"^/api/v4/projects/[^/]+", "/projects/:id", path)
        p = re.sub(r"/issues/\d+", "/issues/:iid", p)
        return method + " " + p

    def user(self, name):
        uid = self.users.get(name, 999)
        return {"id": uid, "username": name, "name": name.title(), "state": "active",
                "avatar_url": None, "web_url": "https://gitlab.example.invalid/" + name}

    def render(self, it, base):
        web = "https://gitlab.example.invalid/%s/-/issues/%d" % (self.path, it["iid"])
        assignees = [self.user(u) for u in it["assignees"]]
        return {
            "id": 5000 + it["iid"], "iid": it["iid"], "project_id": self.pid,
            "title": it["title"], "description": it["description"],
            "state": it["state"], "created_at": fakebase.iso_ms(it["created_at"]),
            "updated_at": fakebase.iso_ms(it["updated_at"]),
            "closed_at": fakebase.iso_ms(it["closed_at"]) if it["closed_at"] else None,
            "closed_by": self.user("closer") if it["closed_at"] else None,
            "labels": list(it["labels"]), "milestone": None,
            "assignees": assignees, "assignee": assignees[0] if assignees else None,
            "author": self.user(it.get("author", "closeloop-bot")), "type": "ISSUE",
            "issue_type": "issue",
            "user_notes_count": len(it["notes"]), "due_date": it["due_date"],
            "confidential": False, "discussion_locked": None, "web_url": web,
            "moved_to_id": None, "references": {"short": "#%d" % it["iid"]},
            "_links": {"self": "%s/api/v4/projects/%d/issues/%d" % (base, self.pid, it["iid"])},
        }

    def norm(self, it):
        return {"id": str(it["iid"]), "title": it["title"], "body": it["description"],
                "state": "closed" if it["state"] == "closed" else "open",
                "assignee": it["assignees"][0] if it["assignees"] else None,
                "due": it["due_date"], "labels": list(it["labels"]),
                "comments": list(it["notes"]), "deleted": it["deleted"]}

    def touch(self, it):
        it["updated_at"] = fakebase.tick()

    def set_state(self, it, state):
        if state in ("closed", "close") and it["state"] != "closed":
            it["state"] = "closed"
            it["closed_at"] = fakebase.tick()
        elif state in ("opened", "open", "reopen") and it["state"] == "closed":
            it["state"] = "opened"
            it["closed_at"] = None

    # --- API ------------------------------------------------------------
    def api(self, h, method, path, q, body):
        if path == "/api/v4/user" and method == "GET":
            return 200, self.user("closeloop-bot"), {}
        if path == "/api/v4/users" and method == "GET":
            name = (q.get("username") or [""])[-1]
            return 200, [self.user(name)] if name in self.users else [], {}
        m = re.match(r"^/api/v4/projects/([^/]+)/issues(?:/(\d+))?(/notes)?/?$", path)
        if not m:
            if path.startswith("/api/v4/projects/"):
                return 404, {"message": "404 Project Not Found"}, {}
            return 404, {"error": "404 Not Found"}, {}
        if m.group(1) not in (str(self.pid), quote(self.path, safe=""),
                              quote(self.path, safe="").replace("%2F", "%2f")):
            return 404, {"message": "404 Project Not Found"}, {}
        iid = int(m.group(2)) if m.group(2) else None
        if iid is None:
            if method == "GET":
                return self.list(h, path, q)
            if method == "POST":
                return self.create(h, body)
            return 405, {"error": "405 Method Not Allowed"}, {}
        it = self.issues_.get(iid)
        if it is None or it["deleted"]:
            return 404, {"message": "404 Not found"}, {}
        if m.group(3):
            if method != "POST":
                return 405, {"error": "405 Method Not Allowed"}, {}
            if not isinstance(body, dict) or not isinstance(body.get("body"), str) or \
                    not body["body"].strip():
                return 400, {"message": {"note": ["can't be blank"]}}, {}
            it["notes"].append(body["body"])
            self.touch(it)
            self.notes += 1
            return 201, {"id": 9000 + self.notes, "body": body["body"], "system": False,
                         "noteable_iid": iid, "noteable_type": "Issue"}, {}
        if method == "GET":
            return 200, self.render(it, h.base()), {}
        if method == "PUT":
            err = self.update(it, body)
            if err:
                return err
            return 200, self.render(it, h.base()), {}
        return 405, {"error": "405 Method Not Allowed"}, {}

    def check_common(self, b, keys):
        bad = sorted(set(b) - keys)
        if bad:
            return 400, {"error": "%s does not have a valid value" % bad[0]}, {}
        if "labels" in b and not isinstance(b["labels"], str):
            return 400, {"error": "labels is invalid"}, {}
        if "assignee_ids" in b and (not isinstance(b["assignee_ids"], list) or
                                    not all(isinstance(x, int) for x in b["assignee_ids"])):
            return 400, {"error": "assignee_ids is invalid"}, {}
        if "due_date" in b and b["due_date"] not in (None, "") and \
                (not isinstance(b["due_date"], str) or not DATE.match(b["due_date"])):
            return 400, {"error": "due_date is invalid"}, {}
        if "title" in b and (not isinstance(b["title"], str) or not b["title"].strip()):
            return 400, {"message": {"title": ["can't be blank"]}}, {}
        if "description" in b and not isinstance(b["description"], (str, type(None))):
            return 400, {"error": "description is invalid"}, {}
        return None

    def assignees_from(self, b):
        ids = b.get("assignee_ids")
        if ids is None and b.get("assignee_id") is not None:
            ids = [b["assignee_id"]]
        if ids is None:
            return None
        names = {v: k for k, v in self.users.items()}
        return self.keep([names[i] for i in ids if i in names])

    def create(self, h, b):
        if not isinstance(b, dict):
            return 400, {"error": "title is missing"}, {}
        if "title" not in b:
            return 400, {"error": "title is missing"}, {}
        err = self.check_common(b, CREATE_KEYS)
        if err:
            return err
        if self.reject and self.reject in b["title"]:
            return 400, {"message": {"title": ["is not allowed here (test)"]}}, {}
        now = fakebase.tick()
        it = {"iid": self.next_iid, "title": b["title"], "description": b.get("description"),
              "labels": [x.strip() for x in (b.get("labels") or "").split(",") if x.strip()],
              "assignees": self.assignees_from(b) or [], "due_date": b.get("due_date") or None,
              "state": "opened", "created_at": now, "updated_at": now, "closed_at": None,
              "notes": [], "deleted": False}
        self.issues_[it["iid"]] = it
        self.next_iid += 1
        return 201, self.render(it, h.base()), {}

    def update(self, it, b):
        if not isinstance(b, dict) or not b:
            return 400, {"error": "title, description, labels, add_labels, assignee_ids, "
                         "due_date, state_event are missing, at least one parameter must "
                         "be provided"}, {}
        err = self.check_common(b, UPDATE_KEYS)
        if err:
            return err
        if "state_event" in b and b["state_event"] not in ("close", "reopen"):
            return 400, {"error": "state_event does not have a valid value"}, {}
        if "title" in b:
            it["title"] = b["title"]
        if "description" in b:
            it["description"] = b["description"]
        if "labels" in b:
            it["labels"] = [x.strip() for x in b["labels"].split(",") if x.strip()]
        if "add_labels" in b:
            it["labels"] += [x.strip() for x in str(b["add_labels"]).split(",")
                             if x.strip() and x.strip() not in it["labels"]]
        a = self.assignees_from(b)
        if a is not None:
            it["assignees"] = a
        if "due_date" in b:
            it["due_date"] = b["due_date"] or None
        if "state_event" in b:
            self.set_state(it, b["state_event"])
        self.touch(it)
        return None

    def list(self, h, path, q):
        def one(k, d=None):
            return q[k][-1] if k in q else d
        state = one("state", "all")
        order_by = one("order_by", "created_at")
        sort = one("sort", "desc")
        if state not in ("opened", "closed", "all") or \
                order_by not in ("created_at", "updated_at", "priority", "due_date",
                                 "relative_position", "label_priority", "milestone_due",
                                 "popularity", "weight", "title") or sort not in ("asc", "desc"):
            return 400, {"error": "order_by, sort or state does not have a valid value"}, {}
        try:
            per_page = min(max(int(one("per_page", "20")), 1), 100)
            page = max(int(one("page", "1")), 1)
        except ValueError:
            return 400, {"error": "per_page is invalid"}, {}
        after = None
        if "updated_after" in q:
            raw = one("updated_after")
            if " " in raw:
                # a '+' sent unencoded arrives as a space: GitLab refuses it
                return 400, {"error": "updated_after is invalid"}, {}
            try:
                after = fakebase.parse_time(raw)
            except ValueError:
                return 400, {"error": "updated_after is invalid"}, {}
        items = [it for it in self.issues() if not it["deleted"]]
        if state != "all":
            items = [it for it in items if it["state"] == state]
        if "labels" in q:
            # issues carrying every label named (comma separated)
            want = [l.strip() for l in one("labels").split(",") if l.strip()]
            items = [it for it in items if all(l in it["labels"] for l in want)]
        if after is not None:
            items = [it for it in items if round(it["updated_at"], 3) >= round(after, 3)]
        key = {"updated_at": lambda it: (it["updated_at"], it["iid"])}.get(
            order_by, lambda it: (it["created_at"], it["iid"]))
        items.sort(key=key, reverse=(sort == "desc"))
        total = len(items)
        pages = max((total + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page: page * per_page]
        hd = {"x-page": str(page), "x-per-page": str(per_page), "x-total": str(total),
              "x-total-pages": str(pages), "x-next-page": str(page + 1) if page < pages else "",
              "x-prev-page": str(page - 1) if page > 1 else ""}
        if self.link:
            def link(p, rel):
                qq = {k: v[-1] for k, v in q.items()}
                qq["page"] = str(p)
                return '<%s%s?%s>; rel="%s"' % (h.base(), path, urlencode(qq), rel)
            links = []
            if page > 1:
                links.append(link(page - 1, "prev"))
            if page < pages:
                links.append(link(page + 1, "next"))
            links.append(link(1, "first"))
            links.append(link(pages, "last"))
            hd["Link"] = ", ".join(links)
        return 200, [self.render(it, h.base()) for it in chunk], hd

    # --- admin: a person acts -------------------------------------------
    def seed(self, b):
        now = fakebase.tick()
        it = {"iid": self.next_iid, "title": b.get("title", "Filed by hand"),
              "description": b.get("body"), "labels": [], "assignees": [], "due_date": None,
              "state": "opened", "created_at": now, "updated_at": now, "closed_at": None,
              "notes": [], "deleted": False, "author": b.get("author", "a-person")}
        self.issues_[it["iid"]] = it
        self.next_iid += 1
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
            it["description"] = b["body"]
        if "assignee" in b:
            it["assignees"] = [b["assignee"]] if b["assignee"] else []
        if "due" in b:
            it["due_date"] = b["due"]
        if b.get("deleted"):
            it["deleted"] = True
        self.touch(it)
        return it


def main():
    ap = argparse.ArgumentParser()
    fakebase.common_args(ap)
    ap.add_argument("--project", default="acme/ops")
    ap.add_argument("--project-id", type=int, default=42)
    ap.add_argument("--users", default="alice-gh,bob-gh")
    ap.add_argument("--no-link", action="store_true",
                    help="paginate with x-next-page only, as GitLab does past 10,000 rows")
    args = ap.parse_args()
    fakebase.serve(GitLab(args), args)


if __name__ == "__main__":
    main()
