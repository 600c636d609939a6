#!/bin/sh
# closeloop report: sections, every format saying the same thing (every id,
# date and link of the complete JSON appears in text, Markdown, HTML and
# CSV), the JSON contract, HTML well-formed (Python's XML and HTML parsers)
# even with control characters in documents, escaping, day-one counts and a
# trend that agrees with `report --week`, row limits with "… and N more".
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
expect_in "$T/out" "closeloop weekly report 2024-W12"
expect_in "$T/out" "2024-03-18 to 2024-03-24, as of 2024-03-20, Europe/Berlin"
# day one: the two items already done when first imported closed in their
# post-mortem's week (W07), not this week; no post-mortem was written in W12
expect_in "$T/out" "open 6, overdue 3, closed this week 0, new post-mortems this week 0, due in 7 days 1"
expect_in "$T/out" "Written by closeloop for 2024-W12."
expect_not_in "$T/out" "Sent by closeloop"
# overdue grouped by owner, most overdue first: ana (19d) before carl (10d) before bob (5d)
awk '/^Overdue/{on=1;next} /^$/{on=0} on && /^  [a-z]/{sub(/:$/, "", $1); print $1}' "$T/out" > "$T/owners"
[ "$(tr '\n' ' ' < "$T/owners")" = "ana carl bob " ] || { cat "$T/out"; fail "owner order: $(cat "$T/owners")"; }
expect_in "$T/out" "  ana (Ana Lima): 1"
expect_in "$T/out" " 19d  cache-stampede.1  Add request coalescing to the product cache  cache-stampede  2024-03-01  https://tracker.example.com/CACHE-7"
expect_in "$T/out" "2024-03-22  cache-stampede.2  Alert on cache hit ratio below 80%  ana"
expect_in "$T/out" "cache-stampede.5  Decide who owns the cache tier  the team  owner-not-a-person due-not-a-date"
# waiting for the drill re-run: the post-mortem's own title, not its heading's "Post-mortem:"
expect_in "$T/out" "dns-flap  DNS flapping in eu-west - 2024-02-12    2"
expect_not_in "$T/out" "Post-mortem: DNS flapping"
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
cp "$T/out" "$T/model.json"
$PY - "$T/out" <<'PY' || fail "json contract"
import json, sys
m = json.load(open(sys.argv[1]))
for k in ("week", "from", "to", "as_of", "timezone", "counts", "numbers", "overdue_by_age",
          "overdue", "due_soon", "problems", "awaiting_drill", "late_postmortems",
          "top_overdue_owners", "owner_load", "no_address", "trend"):
    assert k in m, k
c = m["counts"]
assert (c["open"], c["overdue"], c["due_next_7_days"]) == (6, 3, 1), c
assert (c["closed_this_week"], c["new_this_week"]) == (0, 0), c
assert [g["owner"] for g in m["overdue"]] == ["ana", "carl", "bob"], m["overdue"]
assert m["overdue"][0]["name"] == "Ana Lima" and m["overdue"][0]["count"] == 1
it = m["overdue"][0]["items"][0]
assert it["days_overdue"] == 19 and it["link"] == "https://tracker.example.com/CACHE-7", it
assert it["postmortem"] == "cache-stampede" and it["due"] == "2024-03-01", it
assert [p["id"] for p in m["awaiting_drill"]] == ["dns-flap"], m["awaiting_drill"]
t = {w["week"]: w for w in m["trend"]}
assert len(m["trend"]) == 12 and m["trend"][-1]["week"] == "2024-W12", m["trend"]
# from the items' own dates: dns-flap (incident 02-12) closed in W07,
# cache-stampede (incident 03-01) open from W09 on
assert (t["2024-W07"]["open"], t["2024-W07"]["closed"]) == (0, 2), t["2024-W07"]
assert (t["2024-W08"]["open"], t["2024-W09"]["open"], t["2024-W12"]["open"]) == (0, 6, 6), t
n = m["numbers"]
assert (n["closed"], n["closed_within_deadline"], n["closed_within_deadline_pct"]) == (2, 2, 100), n
assert n["median_days_to_close"] == 1.0, n
assert m["overdue_by_age"] == {"overdue_0_7_days": 1, "overdue_8_30_days": 2,
                               "overdue_31_90_days": 0, "overdue_over_90_days": 0}, m["overdue_by_age"]
load = {o["owner"]: o["open"] for o in m["owner_load"]}
assert load["ana"] == 2 and m["owner_load"][0]["owner"] == "ana", m["owner_load"]
assert [i["id"] for i in m["no_address"]] == ["cache-stampede.4"], m["no_address"]
PY

# the trend row of a week agrees with the report of that week
for w in 2024-W07 2024-W08 2024-W09 2024-W11; do
    expect_rc 0 $C report --week $w --format json
    $PY - "$T/out" "$T/model.json" "$w" <<'PY' || fail "trend row $w"
import json, sys
wk = json.load(open(sys.argv[1])); m = json.load(open(sys.argv[2]))
row = [r for r in m["trend"] if r["week"] == sys.argv[3]][0]
assert wk["counts"]["open"] == row["open"], (wk["counts"], row)
assert wk["counts"]["closed_this_week"] == row["closed"], (wk["counts"], row)
PY
done

# every format says the same thing: each id, date and link of the complete
# JSON appears in text, Markdown and HTML (escaped as each escapes), and
# each item's id, due date and link in the CSV
for f in text markdown html csv; do
    expect_rc 0 $C report --format $f
    cp "$T/out" "$T/out.$f"
done
$PY - "$T/model.json" "$T" <<'PY' || fail "formats differ"
import csv, html, json, re, sys
m = json.load(open(sys.argv[1]))
vals = set()
def walk(o, key=None):
    if isinstance(o, dict):
        for k, v in o.items(): walk(v, k)
    elif isinstance(o, list):
        for v in o: walk(v, key)
    elif isinstance(o, str) and key in ("id", "postmortem", "link", "week", "due",
                                        "closed", "incident_date", "written_date",
                                        "first_seen", "owner", "from", "to", "as_of"):
        vals.add(o)
walk(m)
assert "cache-stampede.1" in vals and "https://tracker.example.com/CACHE-7" in vals
md = lambda s: re.sub(r"([|*_`\[\]<>\\])", r"\\\1", s)
src = {f: open("%s/out.%s" % (sys.argv[2], f), encoding="utf-8").read()
       for f in ("text", "markdown", "html", "csv")}
for v in sorted(vals):
    assert v in src["text"], ("text", v)
    assert md(v) in src["markdown"], ("markdown", v)
    assert html.escape(v) in src["html"], ("html", v)
rows = list(csv.DictReader(open(sys.argv[2] + "/out.csv", encoding="utf-8")))
items = [i for g in m["overdue"] for i in g["items"]] + m["due_soon"] + m["problems"]
byid = {r["id"]: r for r in rows}
assert len(rows) == m["counts"]["open"], len(rows)
for i in items:
    r = byid[i["id"]]
    if "due" in i:
        assert r["due"] == (i["due"] or ""), (r, i)
    if "link" in i:
        assert r["link"] == (i["link"] or ""), (r, i)
PY

# HTML: well-formed for two independent parsers, no scripts, text escaped,
# one table per section with declared column widths, links as links
$PY - "$T/out.html" <<'PY' || fail "html"
import sys, xml.etree.ElementTree as ET
from html.parser import HTMLParser
src = open(sys.argv[1], encoding="utf-8").read()
root = ET.fromstring(src.split("\n", 1)[1])          # XML parser: well-formed
assert root.tag == "html"
assert not list(root.iter("script"))
assert "<script>alert(1)</script>" not in src
assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in src
assert '<a href="https://tracker.example.com/CACHE-7"' in src
assert "src=" not in src and "<link" not in src       # no external resources
assert "<style" not in src                            # inline styles only
body = root.find("body")
h2 = [e for e in body if e.tag == "h2"]
tables = [e for e in body if e.tag == "table"]
assert len(tables) == 8, len(tables)                  # sections with rows
for t in tables:                                      # declared columns
    assert "width:100%" in t.get("style"), t.get("style")
    assert len(t.find("colgroup")) == len(list(t.iter("th"))), ET.tostring(t)[:200]
# the overdue table: ids, dates and numbers take their content's width and
# never wrap; the Action column takes the rest, with the post-mortem, due
# date and tracker link under its text (t47 measures it in Chromium)
od = tables[0]
heads = [th.text for th in od.iter("th")]
assert heads == ["Late", "Item", "Action"], heads
cols = [c.get("style") for c in od.find("colgroup")]
assert cols == ["width:1%", "width:1%", None], cols
row = [tr for tr in od.iter("tr") if len(tr) == 3 and tr[0].tag == "td"][0]
assert all("white-space:nowrap" in td.get("style") for td in row[:2]), ET.tostring(row)
assert "Due: 2024-03-01" in "".join(row[2].itertext()), ET.tostring(row)
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []
    def handle_starttag(s, t, a):
        s.stack.append(t)
    def handle_startendtag(s, t, a):
        pass                                          # <col ... />: balanced
    def handle_endtag(s, t):
        assert s.stack and s.stack.pop() == t, (t, s.stack)
p = P(); p.feed(src); p.close()
assert not p.stack, p.stack
PY

# Markdown: tables with escaped pipes, headings
expect_in "$T/out.markdown" "# closeloop weekly report 2024-W12"
expect_in "$T/out.markdown" "| 19 | cache-stampede.1 | Add request coalescing to the product cache | cache-stampede | 2024-03-01 |  | https://tracker.example.com/CACHE-7 |"
expect_in "$T/out.markdown" "\\<script\\>"
# CSV: a header, RFC 4180 quoting, numbers bare
head -1 "$T/out.csv" | grep -q '^id,state,days_overdue,due,due_derived,owner,owner_name,action,postmortem,link,problems' \
    || fail "csv header: $(head -1 "$T/out.csv")"
expect_in "$T/out.csv" '"cache-stampede.1","overdue",19,"2024-03-01","","ana","Ana Lima","Add request coalescing to the product cache"'
expect_in "$T/out.csv" '"Load-test the failover path <script>alert(1)</script> & ""quotes"""'

# control characters from a document: replaced in every format, so the
# HTML stays well-formed XML and the JSON parses
mkdir -p "$T/ctl"
printf '# Post-mortem: ctl - 2024-03-05\n\n## Action items\n\n- [ ] Fix the \001bell\033[31m parser (@eve, due 2024-03-08)\n' > "$T/ctl/ctl.md"
expect_rc 0 $C import "$T/ctl"
for f in html json text markdown csv; do
    expect_rc 0 $C report --format $f
    if LC_ALL=C grep -q "$(printf '[\001\033]')" "$T/out"; then fail "$f: raw control character"; fi
    cp "$T/out" "$T/ctl.$f"
done
$PY - "$T" <<'PY' || fail "control characters"
import json, sys, xml.etree.ElementTree as ET
t = sys.argv[1]
ET.fromstring(open(t + "/ctl.html", encoding="utf-8").read().split("\n", 1)[1])
m = json.load(open(t + "/ctl.json"))
acts = [i["action"] for g in m["overdue"] for i in g["items"]]
assert any("\x01bell\x1b[31m" in a for a in acts), acts   # JSON keeps them, escaped
assert "\ufffdbell\ufffd[31m" in open(t + "/ctl.text", encoding="utf-8").read()
PY

# usage errors
expect_rc 64 $C report --week 2024-12
expect_rc 64 $C report --format pdf
expect_rc 64 $C report --force
expect_rc 0 $C report --help
expect_in "$T/out" "--send"

# readable at any size: 3 owners with 30, 8 and 4 overdue items and
# per_owner = 5, owners = 2: the first two owners' five most overdue items,
# "… and N more" under each and for the rest; JSON and CSV complete
mkdir -p "$T/big"
$PY - "$T/big" <<'PY'
import sys
rows = []
for who, n in (("ana", 30), ("bob", 8), ("dora", 4)):
    for k in range(n):
        rows.append("| Big action %s %02d | @%s | 2024-02-%02d |" % (who, k, who, 1 + k % 28))
open(sys.argv[1] + "/big.md", "w").write("# Post-mortem: big - 2024-01-20\n\n## Action items\n\n"
    "| Action | Owner | Due |\n|---|---|---|\n" + "\n".join(rows) + "\n")
PY
cat "$T/conf" > "$T/conf.big"
printf '[report]\nper_owner = 5\nowners = 2\nrows = 3\n' >> "$T/conf.big"
CB="$CL -c $T/conf.big -d $T/big.db"
expect_rc 0 $CB init
expect_rc 0 $CB import "$T/big"
expect_rc 0 $CB report
expect_in "$T/out" "  ana (Ana Lima): 30"
expect_in "$T/out" "    … and 25 more"
expect_in "$T/out" "  bob (Bob Stone): 8"
expect_in "$T/out" "    … and 3 more"
expect_in "$T/out" "  … and 32 more overdue items of 3 owners"
expect_not_in "$T/out" "dora (Dora Kim): 4"
[ "$(grep -c 'big\.' "$T/out")" -le 20 ] || fail "too many rows: $(grep -c 'big\.' "$T/out")"
expect_rc 0 $CB report --format csv
[ "$(tail -n +2 "$T/out" | wc -l)" -eq 42 ] || fail "csv rows: $(wc -l < "$T/out")"
expect_rc 0 $CB report --format json
$PY - "$T/out" <<'PY' || fail "complete json"
import json, sys
m = json.load(open(sys.argv[1]))
assert [(g["owner"], g["count"], len(g["items"])) for g in m["overdue"]] == \
    [("ana", 30, 30), ("bob", 8, 8), ("dora", 4, 4)], m["overdue"]
PY
expect_rc 0 $CB report --format html
expect_in "$T/out" "… and 32 more overdue items of 3 owners"

# list --format csv: the same items as list --json, one row each
expect_rc 0 $C list --all --format csv
cp "$T/out" "$T/list.csv"
expect_rc 0 $C list --all --json
$PY - "$T/list.csv" "$T/out" <<'PY' || fail "list csv"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
items = json.load(open(sys.argv[2]))["items"]
assert [r["id"] for r in rows] == [i["id"] for i in items], (rows, items)
assert all(r["status"] == i["status"] and r["due"] == (i["due"] or "") for r, i in zip(rows, items))
PY
expect_rc 64 $C list --format xml

# a post-mortem gone from its directory is listed (the import's facts)
mkdir -p "$T/src"
cp "$TOP"/tests/fixtures/mail/*.md "$T/src/"
CM="$CL -c $T/conf -d $T/m.db"
expect_rc 0 $CM init
expect_rc 0 $CM import "$T/src"
rm "$T/src/dns-flap.md"
$CM import "$T/src" > /dev/null 2>&1
expect_rc 0 $CM report
expect_in "$T/out" "Post-mortems missing from their source"
expect_in "$T/out" "  dns-flap  dns-flap.md  "
expect_rc 0 $CM report --format json
$PY - "$T/out" <<'PY' || fail "missing in json"
import json, sys
m = json.load(open(sys.argv[1]))
assert [p["id"] for p in m["missing_postmortems"]] == ["dns-flap"], m.get("missing_postmortems")
PY

# deadlines by severity: [slo] P1 = 15 days from the incident
mkdir -p "$T/slo"
printf '# Post-mortem: p1 outage - 2024-03-01\n\nWritten: 2024-03-04\nSeverity: P1\n\n## Action items\n\n- [x] Fix the retry storm (@ana, due 2024-03-30)\n- [ ] Cap the queue (@ana)\n- [ ] Page on lag (@bob, due 2024-03-10)\n' > "$T/slo/p1.md"
cat "$T/conf" > "$T/conf.slo"
printf '[slo]\nP1 = 15\n' >> "$T/conf.slo"
CS="$CL -c $T/conf.slo -d $T/slo.db"
expect_rc 0 $CS init
$CS import "$T/slo" > "$T/lint" 2>&1
expect_in "$T/lint" "due-beyond-slo: 'Fix the retry storm' is due 2024-03-30, after its P1 deadline 2024-03-16"
expect_in "$T/lint" "due-missing: 'Cap the queue' has no due date"      # derived, still linted
expect_not_in "$T/lint" "'Page on lag' is due"
expect_rc 0 $CS report
expect_in "$T/out" "  4d  p1.2  Cap the queue  p1  2024-03-16  SLO P1"
expect_in "$T/out" "closed with an [slo] deadline 1, closed within their [slo] deadline 1"
expect_rc 0 $CS report --format json
$PY - "$T/out" <<'PY' || fail "slo json"
import json, sys
m = json.load(open(sys.argv[1]))
rows = {i["id"]: i for g in m["overdue"] for i in g["items"]}
assert rows["p1.2"]["due"] == "2024-03-16" and rows["p1.2"]["due_derived"] == "SLO P1", rows
assert rows["p1.3"]["due_derived"] == "", rows
assert (m["numbers"]["with_slo"], m["numbers"]["closed_within_slo"]) == (1, 1), m["numbers"]
PY
expect_rc 0 $CS report --format csv
expect_in "$T/out" '"p1.2","overdue",4,"2024-03-16","SLO P1","ana"'
# owner load: ties in name order without regard to case (TBD after amara)
mkdir -p "$T/case"
cat > "$T/case/pm.md" <<'DOC'
# Post-mortem: case order - 2024-03-01

**Date:** 2024-03-01

## Action items

| Action | Owner | Due |
|---|---|---|
| Rotate the signing key | TBD | 2024-04-30 |
| Page the secondary | amara | 2024-04-30 |
| Drain the old pool | Zed | 2024-04-30 |
DOC
CC="$CL -c $T/conf -d $T/case.db"
expect_rc 0 $CC init
$CC import "$T/case" > /dev/null 2>&1
expect_rc 0 $CC report --format json
$PY - "$T/out" <<'PY' || fail "owner load order"
import json, sys
m = json.load(open(sys.argv[1]))
assert [o["owner"] for o in m["owner_load"]] == ["amara", "TBD", "Zed"], m["owner_load"]
PY
echo "t40 ok"
