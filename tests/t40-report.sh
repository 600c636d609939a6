#!/bin/sh
# closeloop report: sections, formats, the JSON contract, HTML well-formed
# (checked by Python's XML and HTML parsers), escaping of document text.
. "$(dirname "$0")/lib.sh"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
DB="$T/c.db"
cat > "$T/conf" <<CONF
[closeloop]
timezone = Europe/Berlin
[people]
ana = Ana Lima <ana@example.com>
bob = Bob Stone <bob@example.com>
dora = Dora Kim <dora@example.com>
CONF
C="$CL -c $T/conf -d $DB"
expect_rc 0 $C init
expect_rc 0 $C import "$TOP/tests/fixtures/mail"

expect_rc 0 $C report
expect_in "$T/out" "weekly report 2024-W12 (2024-03-18 to 2024-03-24), as of 2024-03-20"
expect_in "$T/out" "open 6, overdue 3, closed this week 2, new this week 8, due in 7 days 1"
# overdue grouped by owner, most overdue first: ana (19d) before carl (10d) before bob (5d)
awk '/^Overdue/{on=1;next} /^$/{on=0} on && /^  [a-z]/{print $1}' "$T/out" > "$T/owners"
[ "$(tr '\n' ' ' < "$T/owners")" = "ana carl bob " ] || { cat "$T/out"; fail "owner order: $(cat "$T/owners")"; }
expect_in "$T/out" " 19d late  cache-stampede.1  Add request coalescing to the product cache  [cache-stampede, due 2024-03-01] https://tracker.example.com/CACHE-7"
expect_in "$T/out" "2024-03-22  cache-stampede.2  Alert on cache hit ratio below 80%  (Ana Lima)"
expect_in "$T/out" "cache-stampede.5  Decide who owns the cache tier  (owner-not-a-person due-not-a-date)"
expect_in "$T/out" "dns-flap  Post-mortem: DNS flapping in eu-west - 2024-02-12  (2 items, last closed"
expect_in "$T/out" "carl  cache-stampede.4  Document the Redis failover runbook"
expect_not_in "$T/out" "dora  cache-stampede.6"

# a past week: judged on its last day
expect_rc 0 $C report --week 2024-W10 --format json
$PY - "$T/out" <<'PY' || fail "W10 json"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["week"] == "2024-W10" and m["as_of"] == "2024-03-10", m
assert m["counts"]["overdue"] == 1, m["counts"]
PY

# JSON contract
expect_rc 0 $C report --format json
$PY - "$T/out" <<'PY' || fail "json contract"
import json, sys
m = json.load(open(sys.argv[1]))
for k in ("week", "from", "to", "as_of", "timezone", "counts", "overdue", "due_soon",
          "problems", "awaiting_drill", "late_postmortems", "owner_load", "no_address", "trend"):
    assert k in m, k
c = m["counts"]
assert (c["open"], c["overdue"], c["due_next_7_days"]) == (6, 3, 1), c
assert [g["owner"] for g in m["overdue"]] == ["ana", "carl", "bob"], m["overdue"]
assert m["overdue"][0]["name"] == "Ana Lima"
it = m["overdue"][0]["items"][0]
assert it["days_overdue"] == 19 and (it["url"] or it["ticket"]) == "https://tracker.example.com/CACHE-7", it
assert it["postmortem"]["id"] == "cache-stampede"
assert [p["id"] for p in m["awaiting_drill"]] == ["dns-flap"], m["awaiting_drill"]
assert len(m["trend"]) == 8 and m["trend"][-1]["week"] == "2024-W12", m["trend"]
assert m["trend"][-1]["open"] == 6 and m["trend"][-1]["closed"] == 2, m["trend"][-1]
load = {o["owner"]: o["open"] for o in m["owner_load"]}
assert load["ana"] == 2 and m["owner_load"][0]["owner"] == "ana", m["owner_load"]
assert [i["id"] for i in m["no_address"]] == ["cache-stampede.4"], m["no_address"]
PY

# HTML: well-formed for two independent parsers, no scripts, text escaped
expect_rc 0 $C report --format html
$PY - "$T/out" <<'PY' || fail "html"
import sys, xml.etree.ElementTree as ET
from html.parser import HTMLParser
src = open(sys.argv[1], encoding="utf-8").read()
root = ET.fromstring(src.split("\n", 1)[1])          # XML parser: well-formed
assert root.tag == "html"
assert not list(root.iter("script"))
assert "<script>alert(1)</script>" not in src
assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in src
assert '<a href="https://tracker.example.com/CACHE-7">' in src
assert "src=" not in src and "<link" not in src       # no external resources
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []; s.cells = 0
    def handle_starttag(s, t, a):
        s.stack.append(t)
        if t == "td" and any(k == "width" for k, v in a): s.cells += 1
    def handle_startendtag(s, t, a):
        pass                                          # <meta ... />: balanced
    def handle_endtag(s, t):
        assert s.stack and s.stack.pop() == t, (t, s.stack)
p = P(); p.feed(src); p.close()
assert not p.stack, p.stack
assert p.cells == 16, p.cells                         # 8 weeks x (open, closed) bars
PY

# Markdown: tables with escaped pipes, headings
expect_rc 0 $C report --format markdown
expect_in "$T/out" "# Weekly report 2024-W12"
expect_in "$T/out" "| 19 | cache-stampede.1 | Add request coalescing to the product cache | cache-stampede | 2024-03-01 | https://tracker.example.com/CACHE-7 |"
expect_in "$T/out" "\\<script\\>"

# usage errors
expect_rc 64 $C report --week 2024-12
expect_rc 64 $C report --format pdf
expect_rc 64 $C report --force
expect_rc 0 $C report --help
expect_in "$T/out" "--send"
echo "t40 ok"
