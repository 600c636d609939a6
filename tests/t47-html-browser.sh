#!/bin/sh
# The HTML of the report, a reminder and a drill invite in a real browser:
# headless Chromium lays each out at 1000 px and 400 px wide and a script
# injected into a copy of the page measures that nothing is wider than the
# viewport, that no id, date or number cell is cut off, and that the Action
# column is the widest; the report of every team (its per-team table) too.
# Screenshots are kept under build/html/.
. "$(dirname "$0")/lib.sh"
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || { echo "t47: skipped (no chromium; contrib/install-deps.sh installs it)"; exit 0; }
ART="$TOP/build/html"
mkdir -p "$ART"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
cat > "$T/conf" <<CONF
[closeloop]
timezone = Europe/Berlin
[people]
ana = Ana Lima <ana@example.com>
bob = Bob Stone <bob@example.com>
bob.lead = ana
dora = Dora Kim <dora@example.com>
[mail]
from = closeloop <closeloop@example.com>
transport = file
outbox = $T/outbox
[report]
to = eng@example.com
[drill]
organizer = SRE On-call <sre@example.com>
timezone = Europe/Berlin
CONF
mkdir -p "$T/pm"
cp "$TOP"/tests/fixtures/mail/*.md "$T/pm/"
# long words and ids: what makes a narrow table overflow
$PY - "$T/pm" <<'PY'
import sys
rows = ["| Rebuild the %s replica-lag-alerting pipeline with per-shard thresholds "
        "and a runbook link https://runbooks.example.com/storage/replica-lag-%02d | @%s | 2024-03-%02d |"
        % (w, k, who, 1 + k) for k, (w, who) in enumerate(
            [("very-long-hyphenated-component-name", "ana"), ("Storage", "bob"),
             ("Übergangs­lösung", "dora"), ("queue", "ana"), ("shard", "bob")] * 3)]
open(sys.argv[1] + "/storage-replica-lag-during-failover-2024.md", "w").write(
    "# Post-mortem: storage replica lag during failover - 2024-02-20\n\nWritten: 2024-02-21\n\n"
    "## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n" + "\n".join(rows) + "\n")
PY
C="$CL -c $T/conf -d $T/c.db"
expect_rc 0 $C init
$C import "$T/pm" > /dev/null 2>&1
expect_rc 0 $C report --format html
cp "$T/out" "$T/report.html"
# the report of every team: its per-team table (12 columns) holds up too
{ cat "$T/conf"; printf '[teams]\nstorage = storage-*\ncaching-and-edge-platform = cache-*\n'; } > "$T/conf-teams"
$CL -c "$T/conf-teams" -d "$T/c.db" import "$T/pm" > /dev/null 2>&1
expect_rc 0 $CL -c "$T/conf-teams" -d "$T/c.db" report --format html
grep -q "By team" "$T/out" || fail "no per-team table in the teams report"
cp "$T/out" "$T/teams.html"
expect_rc 0 $C nag --send
expect_rc 0 $C drill schedule dns-flap --at "2024-04-02 14:00" --attendee ana --attendee bob --send
$PY - "$T/outbox" "$T" <<'PY' || fail "extracting the mails' HTML"
import email, email.policy, glob, sys
n = {"nag": 0, "invite": 0}
for p in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_bytes(open(p, "rb").read(), policy=email.policy.default)
    subj = str(m["Subject"])
    kind = "invite" if "Invitation" in subj else "nag" if subj.startswith("Reminder") else None
    if kind and n[kind] == 0:
        open("%s/%s.html" % (sys.argv[2], kind), "w").write(m.get_body(("html",)).get_content())
        n[kind] += 1
assert n == {"nag": 1, "invite": 1}, n
PY

# the measuring script, injected into a copy (the mails themselves carry none)
# the measuring script runs in a host page that shows the mail in an
# iframe of the width under test (headless windows are at least 500 px wide)
cat > "$T/measure.js" <<'JS'
function measure(doc, vw) {
  var bad = [], all = doc.body.getElementsByTagName("*");
  for (var i = 0; i < all.length; i++) {
    var e = all[i], r = e.getBoundingClientRect(), cs = doc.defaultView.getComputedStyle(e);
    if (r.right > vw + 1)
      bad.push("wider than the viewport: <" + e.tagName + "> right=" + Math.round(r.right) +
               " " + e.textContent.slice(0, 40));
    if (e.tagName === "TD" && cs.whiteSpace === "nowrap" && e.scrollWidth > e.clientWidth + 1)
      bad.push("cut off: " + e.textContent);
  }
  if (doc.documentElement.scrollWidth > vw + 1)
    bad.push("page scrolls sideways: " + doc.documentElement.scrollWidth + " > " + vw);
  var tables = doc.getElementsByTagName("table"), widest = [];
  for (var t = 0; t < tables.length; t++) {
    var th = tables[t].getElementsByTagName("th"), best = null;
    for (var k = 0; k < th.length; k++)
      if (best === null || th[k].offsetWidth > best.offsetWidth) best = th[k];
    if (best) widest.push(best.textContent);
  }
  return { viewport: doc.documentElement.clientWidth, bad: bad, widest: widest };
}
JS
for page in report teams nag invite; do
    for w in 1000 400; do
        cat > "$T/host-$page-$w.html" <<HTML
<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="f" src="$page.html" style="width:${w}px;height:1500px;border:0"></iframe>
<script>$(cat "$T/measure.js")
document.getElementById("f").onload = function () {
  var out = document.createElement("pre");
  out.id = "measure";
  out.textContent = JSON.stringify(measure(frames[0].document, $w));
  document.body.appendChild(out);
};</script></body></html>
HTML
        timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars \
            --allow-file-access-from-files --user-data-dir="$T/chrome" \
            --window-size=$((w + 40)),1000 --virtual-time-budget=3000 \
            --dump-dom "file://$T/host-$page-$w.html" > "$T/$page-$w.dom" 2> "$T/chrome.err" ||
            { cat "$T/chrome.err"; fail "chromium on $page at $w px"; }
        timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars \
            --allow-file-access-from-files --user-data-dir="$T/chrome" \
            --window-size=$((w + 40)),1600 \
            --screenshot="$ART/$page-$w.png" "file://$T/host-$page-$w.html" > /dev/null 2>&1 ||
            fail "screenshot of $page at $w px"
        $PY - "$T/$page-$w.dom" "$page" "$w" <<'PY' || fail "$page at $w px"
import html, json, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<pre id="measure">(.*?)</pre>', dom, re.S)
assert m, "the measuring script did not run"
r = json.loads(html.unescape(m.group(1)))
assert r["viewport"] == int(sys.argv[3]), r
assert not r["bad"], r["bad"]
for name in r["widest"]:
    assert name in ("Action", "Title", "Name", "Source", "Server said", "Open at week end",
                    "Closed in the week", "Top owners by overdue", "Open then → now",
                    "Median days", "Team", ""), r["widest"]
if sys.argv[2] in ("report", "teams", "nag"):
    assert "Action" in r["widest"], r["widest"]
PY
    done
done
[ -s "$ART/report-400.png" ] || fail "no screenshot"
echo "t47 ok (screenshots in build/html/)"
