#!/usr/bin/env python3
"""score-items.py — how well closeloop reads action items, measured the way
issue 11 measures it: recall (items a careful reader sees that were found),
precision (items found that a reader sees) and owner accuracy (items found
whose owner is the reader's owner, an absent owner included).

usage: tests/score-items.py [-v] [--closeloop PATH] DIR_OR_FILE.md...

Each NAME.md is read with `closeloop lint --items --json`; its expected
items are NAME.json (the format of tests/fixtures/layouts/README.md; only
each item's line, action, owner, due, status and ticket are used). An item
found matches the expected item that starts on the same line. Year-less
dates resolve against 2024-01-01 as in tests/check_layouts.c.
Exit 0 always (it measures); -v lists every miss, extra and wrong owner."""
import json
import os
import subprocess
import sys
import tempfile


def expected_status(it):
    """The status lint --items prints for an expected item."""
    if it.get("status"):
        return it["status"]
    return "done" if it.get("done") else "open"


def norm(s):
    return s.casefold().strip() if isinstance(s, str) else s


def main(argv):
    verbose = False
    closeloop = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "closeloop")
    args = []
    i = 1
    while i < len(argv):
        if argv[i] == "-v":
            verbose = True
        elif argv[i] == "--closeloop":
            i += 1
            closeloop = argv[i]
        else:
            args.append(argv[i])
        i += 1
    mds = []
    for a in args:
        if os.path.isdir(a):
            mds += sorted(os.path.join(a, f) for f in os.listdir(a)
                          if f.endswith(".md") and f != "README.md")
        else:
            mds.append(a)
    if not mds:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 64
    tmp = tempfile.mkdtemp(prefix="score-items.")
    conf = os.path.join(tmp, "closeloop.conf")
    with open(conf, "w") as f:
        f.write("[closeloop]\ndatabase = %s/none.db\n" % tmp)
    env = dict(os.environ, CLOSELOOP_NOW="2024-01-01T00:00:00Z", NO_COLOR="1")
    out = subprocess.run([closeloop, "-c", conf, "lint", "--items", "--json"] + mds,
                         env=env, stdout=subprocess.PIPE, universal_newlines=True).stdout
    got = {}
    for line in out.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            got[d["path"]] = d["items"]
    n_exp = n_found = n_match = n_owner = 0
    n_field = {"due": 0, "status": 0, "ticket": 0, "action": 0}
    docs_missing = 0
    for md in mds:
        with open(md[:-3] + ".json") as f:
            want = json.load(f)["items"]
        found = got.get(md, [])
        by_line = {it["line"]: it for it in found}
        n_exp += len(want)
        n_found += len(found)
        if want and not found:
            docs_missing += 1
        wlines = set()
        for w in want:
            wlines.add(w["line"])
            g = by_line.get(w["line"])
            if g is None:
                if verbose:
                    print("%s:%d: missed: %s" % (md, w["line"], w["action"]))
                continue
            n_match += 1
            if norm(g["owner"]) == norm(w["owner"]):
                n_owner += 1
            elif verbose:
                print("%s:%d: owner %r, want %r" % (md, w["line"], g["owner"], w["owner"]))
            n_field["due"] += g["due"] == w["due"]
            n_field["status"] += g["status"] == expected_status(w)
            n_field["ticket"] += g["ticket"] == w["ticket"]
            n_field["action"] += g["action"] == w["action"]
            if verbose:
                for k, ok in (("due", g["due"] == w["due"]),
                              ("status", g["status"] == expected_status(w)),
                              ("ticket", g["ticket"] == w["ticket"]),
                              ("action", g["action"] == w["action"])):
                    if not ok:
                        print("%s:%d: %s %r, want %r" % (md, w["line"], k, g[k],
                                                        expected_status(w) if k == "status" else w[k]))
        for g in found:
            if g["line"] not in wlines and verbose:
                print("%s:%d: not an item: %s" % (md, g["line"], g["action"]))

    def ratio(a, b):
        return "%.3f" % (a / b) if b else "-"
    print("documents %d, expected items %d, found %d, matched %d, documents with items"
          " where nothing was found %d" % (len(mds), n_exp, n_found, n_match, docs_missing))
    print("recall %s  precision %s  owner %s  (due %s  status %s  ticket %s  action text %s)"
          % (ratio(n_match, n_exp), ratio(n_match, n_found), ratio(n_owner, n_match),
             ratio(n_field["due"], n_match), ratio(n_field["status"], n_match),
             ratio(n_field["ticket"], n_match), ratio(n_field["action"], n_match)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
