#!/usr/bin/python3
"""A fake Confluence for closeloop's tests (stdlib only), written from
Atlassian's REST documentation. Two flavours:

--flavor cloud (under /wiki; Basic e-mail:API-token, else 401):
  GET /wiki/api/v2/spaces?keys=K            {"results": [space], "_links": {}}
  GET /wiki/api/v2/spaces/{id}/pages        cursor paging: limit, cursor;
                                            _links.next + Link rel="next";
                                            no body unless body-format
  GET /wiki/api/v2/labels/{id}/pages        the label's pages; space-id filter
  GET /wiki/api/v2/pages/{id}               body-format=storage → body.storage
  GET /wiki/rest/api/label?name=N           v1: the label's id (404 unknown)
--flavor dc (under --context, e.g. /confluence; Bearer PAT, else 401):
  GET /rest/api/space/{key}                 404 for an unknown space
  GET /rest/api/content/search?cql=…        start/limit paging (limit capped
                                            at --max-limit), expand=version;
                                            _links.next while more remain
  GET /rest/api/content/{id}                expand=body.storage,version,history
A page: id (digits), space, title, version.number (bumped by every edit),
createdAt / history.createdDate, labels, storage body.

Admin (not counted, no auth; see fakebase.py for stats, faults):
  POST /_admin/space   {"key", "name"}
  POST /_admin/page    {"id"?, "space", "title", "body", "labels"}: creates,
                       or edits (version + 1) the page with that id
  POST /_admin/edit-while-listing {"page": id, "body": …, "on_request": n}:
                       edits the page just before the n-th listing request
                       (counted from this call) is answered
  POST /_admin/labels  {"page", "labels"}: sets the labels (no new version:
                       labels are not part of a page's content)
  POST /_admin/trash   {"page", "restore"?}: moves the page to the trash
                       (listed nowhere, GET 404) or restores it
  POST /_admin/move    {"page", "space"}: moves the page to another space
  POST /_admin/next-origin {"origin"}: cursor next links become absolute on
                       that origin (another site: a client must not follow)
Run: fake_confluence.py --port-file F --flavor cloud|dc [--user U]
     [--token T] [--context /confluence] [--max-limit N]
"""
import argparse
import base64
import json
import re
import time
from urllib.parse import urlencode

import fakebase


class Confluence(fakebase.Backend):
    def __init__(self, args):
        super().__init__(args)
        self.name = "confluence-" + args.flavor
        self.cloud = args.flavor == "cloud"
        self.user = args.user
        self.prefix = "/wiki" if self.cloud else args.context.rstrip("/")
        self.max_limit = args.max_limit
        self.spaces = {}        # key -> {"id", "key", "name"}
        self.pages = {}         # id -> page
        self.labels = {}        # name -> id
        self.next_id = 1001
        self.next_space = 501
        self.listings = 0
        self.pending = []       # edits waiting for a listing request
        self.next_origin = ""   # cursor links on another site (admin)

    # --- auth -----------------------------------------------------------
    def auth(self, h):
        a = h.headers.get("Authorization") or ""
        if self.cloud:
            want = "Basic " + base64.b64encode(("%s:%s" % (self.user, self.token)).encode()).decode()
        else:
            want = "Bearer " + self.token
        if a != want:
            return 401, self.error(401, "Unauthorized; scope does not match"), {
                "WWW-Authenticate": "Basic realm=\"protected\"" if self.cloud else "Bearer"}
        return None

    def error(self, status, message):
        if self.cloud:
            return {"errors": [{"status": status, "code": "ERROR", "title": message,
                                "detail": None}]}
        return {"statusCode": status, "message": message, "data": {"authorized": False,
                "valid": True, "errors": [], "successful": False}}

    def route(self, method, path):
        return method + " " + re.sub(r"/\d+(?=/|$)", "/{n}", path[len(self.prefix):])

    # --- model ----------------------------------------------------------
    def label_id(self, name):
        if name not in self.labels:
            self.labels[name] = str(9000 + len(self.labels))
        return self.labels[name]

    def put_page(self, b):
        now = time.time()
        pid = str(b.get("id") or "")
        if pid and pid in self.pages:
            p = self.pages[pid]
            p["version"] += 1
            p["modified"] = now
            for k in ("title", "body"):
                if k in b:
                    p[k] = b[k]
            if "labels" in b:
                p["labels"] = list(b["labels"])
            return p
        if not pid:
            pid = str(self.next_id)
            self.next_id += 1
        p = {"id": pid, "space": b["space"], "title": b.get("title", "Untitled"),
             "body": b.get("body", ""), "labels": list(b.get("labels", [])), "version": 1,
             "created": now, "modified": now}
        for l in p["labels"]:
            self.label_id(l)
        self.pages[pid] = p
        return p

    def live(self):
        return [p for p in self.pages.values() if not p.get("trashed")]

    def listing_hook(self):
        self.listings += 1
        for e in list(self.pending):
            if self.listings >= e["at"]:
                self.put_page({"id": e["page"], "body": e["body"]})
                self.pending.remove(e)

    def admin_extra(self, method, path, body):
        if path == "/_admin/space":
            sid = str(self.next_space)
            self.next_space += 1
            self.spaces[body["key"]] = {"id": sid, "key": body["key"],
                                        "name": body.get("name", body["key"])}
            return 200, self.spaces[body["key"]], {}
        if path == "/_admin/page":
            p = self.put_page(body)
            return 200, {"id": p["id"], "version": p["version"]}, {}
        if path in ("/_admin/labels", "/_admin/trash", "/_admin/move"):
            p = self.pages.get(str(body.get("page")))
            if p is None:
                return 404, {"message": "no such page"}, {}
            if path == "/_admin/labels":
                p["labels"] = list(body.get("labels", []))
                for l in p["labels"]:
                    self.label_id(l)
            elif path == "/_admin/trash":
                p["trashed"] = not body.get("restore")
            else:
                p["space"] = body["space"]
                p["version"] += 1
                p["modified"] = time.time()
            return 200, {"id": p["id"], "version": p["version"]}, {}
        if path == "/_admin/next-origin":
            self.next_origin = body.get("origin") or ""
            return 200, {}, {}
        if path == "/_admin/edit-while-listing":
            self.pending.append({"page": str(body["page"]), "body": body.get("body", ""),
                                 "at": self.listings + int(body.get("on_request", 2))})
            return 200, {}, {}
        return None

    # --- rendering ------------------------------------------------------
    def iso(self, t):
        return fakebase.iso_ms(t)

    def v2_page(self, p, body_format):
        sp = self.spaces[p["space"]]
        d = {"id": p["id"], "status": "current", "title": p["title"], "spaceId": sp["id"],
             "parentId": None, "parentType": None, "position": 0, "authorId": "557058:author",
             "ownerId": "557058:author", "lastOwnerId": None,
             "createdAt": self.iso(p["created"]),
             "version": {"createdAt": self.iso(p["modified"]), "message": "",
                         "number": p["version"], "minorEdit": False,
                         "authorId": "557058:author"},
             "body": {},
             "_links": {"webui": "/spaces/%s/pages/%s/%s" % (sp["key"], p["id"],
                                                              p["title"].replace(" ", "+")),
                        "editui": "/pages/resumedraft.action?draftId=" + p["id"],
                        "tinyui": "/x/" + p["id"]}}
        if body_format == "storage":
            d["body"] = {"storage": {"representation": "storage", "value": p["body"]}}
        return d

    def dc_page(self, p, expand):
        sp = self.spaces[p["space"]]
        d = {"id": p["id"], "type": "page", "status": "current", "title": p["title"],
             "_links": {"webui": "/display/%s/%s" % (sp["key"], p["title"].replace(" ", "+")),
                        "tinyui": "/x/" + p["id"],
                        "self": "%s/rest/api/content/%s" % (self.prefix, p["id"])},
             "_expandable": {"container": "/rest/api/space/" + sp["key"],
                             "space": "/rest/api/space/" + sp["key"]}}
        if "version" in expand:
            d["version"] = {"by": {"type": "known", "username": "admin"},
                            "when": self.iso(p["modified"]), "number": p["version"],
                            "minorEdit": False}
        if "body.storage" in expand:
            d["body"] = {"storage": {"value": p["body"], "representation": "storage"}}
        if "history" in expand:
            d["history"] = {"latest": True, "createdDate": self.iso(p["created"])}
        return d

    # --- API ------------------------------------------------------------
    def api(self, h, method, path, q, body):
        if method != "GET" or not path.startswith(self.prefix + "/"):
            return 404, self.error(404, "Not Found"), {}
        path = path[len(self.prefix):]
        one = lambda k, d=None: q[k][-1] if k in q else d
        return self.api_cloud(h, path, one) if self.cloud else self.api_dc(h, path, one)

    def page_of(self, h, path, items, one, render):
        limit = max(1, min(int(one("limit", "25")), 250, self.max_limit))
        cur = one("cursor")
        start = int(base64.urlsafe_b64decode(cur.encode()).decode()) if cur else 0
        self.listing_hook()
        chunk = [render(p) for p in items()[start:start + limit]]
        links = {"base": h.base() + "/wiki"}
        hd = {}
        if start + limit < len(items()):
            qq = {k: v for k, v in (("limit", str(limit)), ("space-id", one("space-id")),
                                     ("status", one("status")),
                                     ("body-format", one("body-format"))) if v}
            qq["cursor"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
            nxt = "%s/wiki%s?%s" % (self.next_origin, path, urlencode(qq))
            links["next"] = nxt
            hd["Link"] = '<%s>; rel="next", <%s>; rel="base"' % (nxt, h.base() + "/wiki")
        return 200, {"results": chunk, "_links": links}, hd

    def api_cloud(self, h, path, one):
        if path == "/api/v2/spaces":
            keys = (one("keys") or "").split(",")
            res = [self.spaces[k] for k in keys if k in self.spaces]
            return 200, {"results": [dict(s, type="global", status="current") for s in res],
                         "_links": {"base": h.base() + "/wiki"}}, {}
        m = re.match(r"^/api/v2/spaces/(\d+)/pages$", path)
        if m:
            sp = [s for s in self.spaces.values() if s["id"] == m.group(1)]
            if not sp:
                return 404, self.error(404, "Space not found"), {}
            items = lambda: sorted([p for p in self.live() if p["space"] == sp[0]["key"]],
                                   key=lambda p: int(p["id"]))
            return self.page_of(h, path, items, one,
                                lambda p: self.v2_page(p, one("body-format")))
        m = re.match(r"^/api/v2/labels/(\d+)/pages$", path)
        if m:
            names = [n for n, i in self.labels.items() if i == m.group(1)]
            if not names:
                return 404, self.error(404, "Label not found"), {}
            sid = one("space-id")
            keys = [s["key"] for s in self.spaces.values() if not sid or s["id"] == sid]
            items = lambda: sorted([p for p in self.live()
                                    if names[0] in p["labels"] and p["space"] in keys],
                                   key=lambda p: int(p["id"]))
            return self.page_of(h, path, items, one,
                                lambda p: self.v2_page(p, one("body-format")))
        m = re.match(r"^/api/v2/pages/(\d+)$", path)
        if m:
            p = self.pages.get(m.group(1))
            if not p or p.get("trashed"):
                return 404, self.error(404, "Page not found"), {}
            return 200, self.v2_page(p, one("body-format")), {}
        if path == "/rest/api/label":
            n = one("name")
            if n not in self.labels:
                return 404, {"statusCode": 404, "message": "label not found"}, {}
            return 200, {"label": {"prefix": "global", "name": n, "id": self.labels[n],
                                   "label": n},
                         "associatedContents": {"results": [], "start": 0, "limit": 200,
                                                "size": 0}}, {}
        return 404, self.error(404, "Not Found"), {}

    def cql_match(self, cql):
        """space = "X" [and type = page] [and label = "Y"]; a bad query is 400."""
        conds = {}
        for part in re.split(r"\s+and\s+", cql.strip(), flags=re.I):
            m = re.match(r'^(space|label|type)\s*=\s*"?([^"]*)"?$', part.strip(), re.I)
            if not m:
                return None
            conds[m.group(1).lower()] = m.group(2)
        return lambda p: (("space" not in conds or p["space"] == conds["space"]) and
                          ("label" not in conds or conds["label"] in p["labels"]) and
                          conds.get("type", "page") == "page")

    def api_dc(self, h, path, one):
        m = re.match(r"^/rest/api/space/([^/]+)$", path)
        if m:
            sp = self.spaces.get(m.group(1))
            if not sp:
                return 404, self.error(404, "No space with key : " + m.group(1)), {}
            return 200, {"id": int(sp["id"]), "key": sp["key"], "name": sp["name"],
                         "type": "global", "_links": {}}, {}
        if path == "/rest/api/content/search":
            match = self.cql_match(one("cql") or "")
            if match is None:
                return 400, self.error(400, "Could not parse cql : " + (one("cql") or "")), {}
            limit = max(1, min(int(one("limit", "25")), self.max_limit))
            start = int(one("start", "0"))
            expand = (one("expand") or "").split(",")
            self.listing_hook()
            items = sorted([p for p in self.live() if match(p)], key=lambda p: int(p["id"]))
            chunk = [self.dc_page(p, expand) for p in items[start:start + limit]]
            links = {"base": h.base() + self.prefix, "context": self.prefix,
                     "self": h.base() + self.prefix + "/rest/api/content/search"}
            if start + len(chunk) < len(items):
                links["next"] = "/rest/api/content/search?%s" % urlencode(
                    {"cql": one("cql"), "expand": one("expand") or "", "limit": limit,
                     "start": start + limit})
            return 200, {"results": chunk, "start": start, "limit": limit, "size": len(chunk),
                         "totalSize": len(items), "cqlQuery": one("cql"), "searchDuration": 3,
                         "_links": links}, {}
        m = re.match(r"^/rest/api/content/(\d+)$", path)
        if m:
            p = self.pages.get(m.group(1))
            if not p or p.get("trashed"):
                return 404, self.error(404, "No content found with id : " + m.group(1)), {}
            return 200, self.dc_page(p, (one("expand") or "").split(",")), {}
        return 404, self.error(404, "Not Found"), {}


def main():
    ap = argparse.ArgumentParser()
    fakebase.common_args(ap)
    ap.add_argument("--flavor", choices=("cloud", "dc"), required=True)
    ap.add_argument("--user", default="sre-bot@example.com")
    ap.add_argument("--context", default="/confluence")
    ap.add_argument("--max-limit", type=int, default=250)
    args = ap.parse_args()
    fakebase.serve(Confluence(args), args)


if __name__ == "__main__":
    main()
