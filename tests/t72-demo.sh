#!/bin/sh
# make demo's script: the main job on embedded defaults writes the report,
# the reminders and the drill invites into its outbox, and exits 0.
. "$(dirname "$0")/lib.sh"
cd "$TOP"
DEMO_DIR="$T/demo" sh contrib/demo.sh > "$T/demo.out" 2>&1 || { cat "$T/demo.out"; fail "demo exited $?"; }
expect_in "$T/demo.out" "closeloop weekly report 2024-W12"
expect_in "$T/demo.out" "sync    "
# the report's wording: "amara (Amara Okafor): 1", not "amara (Amara Okafor) (1)";
# a title quoted without its "Post-Mortem:" in the drill invites
expect_in "$T/demo.out" "  amara (Amara Okafor): 1"
expect_not_in "$T/demo.out" ") (1)"
expect_in "$T/demo.out" "Items with problems"
expect_not_in "$T/demo.out" "re-run: Post-Mortem:"
# what was sent: each subject whole (a folded, encoded header unfolded)
grep -q "^  invite Invitation: DR drill re-run: .* — 2024-03-14 @ Wed 2024-03-27 09:00-10:00 (Europe/Berlin)$" "$T/demo.out" ||
    { cat "$T/demo.out"; fail "the demo cuts the invite's subject"; }
out="$T/demo/outbox"
n=$(ls "$out"/*.eml | wc -l)
[ "$n" -ge 5 ] || fail "only $n messages in the outbox"
grep -l "^Subject: Post-mortem action items, week 2024-W12" "$out"/*.eml > /dev/null || fail "no report"
grep -l "^Subject: Reminder:" "$out"/*.eml > /dev/null || fail "no reminder"
grep -l "text/calendar" "$out"/*.eml > /dev/null || fail "no invite"
grep -q "tracker could not be started" "$T/demo.out" && fail "the demo ran without its local tracker"
# every message parses cleanly with Python's email package
for f in "$out"/*.eml; do
    $PY - "$f" <<'PYEOF' || fail "$f does not parse cleanly"
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
assert not m.defects, m.defects
assert m["Auto-Submitted"] == "auto-generated"
PYEOF
done
# none of the examples is late: each has its Written: line
grep -q "postmortem-late" "$T/demo.out" && fail "the demo flags its own examples postmortem-late"
# the config the demo leaves works afterwards, without the demo's tracker
unset CLOSELOOP_NOW
CLOSELOOP_CONFIG="$T/demo/config" "$CL" -v run > "$T/after.out" 2>&1; rc=$?
[ $rc = 0 ] || { cat "$T/after.out"; fail "run with the demo's config afterwards exited $rc"; }
CLOSELOOP_CONFIG="$T/demo/config" "$CL" config check > "$T/after.out" 2>&1 ||
    { cat "$T/after.out"; fail "config check of the demo's config failed"; }
# install-deps: --test only adds the test peers; make demo installs no test peer
grep -q '^test_pkgs=' contrib/install-deps.sh || fail "no test peers list"
$PY - contrib/install-deps.sh <<'PYEOF' || fail "install-deps: a test peer in the runtime list"
import re, sys
s = open(sys.argv[1]).read()
run = re.search(r'^pkgs="([^"]*)"', s, re.M).group(1).split()
test = re.search(r'^test_pkgs="([^"]*)"', s, re.M).group(1).split()
peers = {"check", "redmine", "thin", "clang", "valgrind", "python3-aiosmtpd", "exim4-daemon-heavy"}
assert not peers & set(run), peers & set(run)
assert peers <= set(test), peers - set(test)
PYEOF
# ... and the script does what its flag says: run against stand-ins for
# dpkg-query (nothing installed), apt-get and npm that record what they
# were asked to install
mkdir -p "$T/shim" "$T/prism"
printf '#!/bin/sh\nexit 1\n' > "$T/shim/dpkg-query"
printf '#!/bin/sh\necho "apt-get $*" >> "%s/apt.log"\n' "$T" > "$T/shim/apt-get"
printf '#!/bin/sh\ncat > /dev/null\n' > "$T/shim/debconf-set-selections"
printf '#!/bin/sh\nexec "$@"\n' > "$T/shim/sudo"
printf '#!/bin/sh\necho "npm $*" >> "%s/apt.log"\nmkdir -p "$3/node_modules/.bin"; printf "#!/bin/sh\\n" > "$3/node_modules/.bin/prism"; chmod +x "$3/node_modules/.bin/prism"\n' "$T" > "$T/shim/npm"
chmod +x "$T/shim"/*
PATH="$T/shim:$PATH" CLOSELOOP_PRISM_DIR="$T/prism" sh contrib/install-deps.sh > "$T/deps.out" 2>&1 ||
    { cat "$T/deps.out"; fail "install-deps.sh"; }
grep "install" "$T/apt.log" > "$T/runtime.log" || fail "install-deps installed nothing"
for p in libsqlite3-dev libcurl4-openssl-dev libmd4c-dev pkg-config; do
    grep -q " $p\b" "$T/runtime.log" || fail "install-deps: no $p"
done
for p in check redmine thin clang valgrind python3-aiosmtpd exim4-daemon-heavy chromium; do
    grep -q " $p\b" "$T/runtime.log" && fail "install-deps without --test installs $p"
done
grep -q "^npm" "$T/apt.log" && fail "install-deps without --test installs Prism"
rm -f "$T/apt.log"
PATH="$T/shim:$PATH" CLOSELOOP_PRISM_DIR="$T/prism" sh contrib/install-deps.sh --test > "$T/deps.out" 2>&1 ||
    { cat "$T/deps.out"; fail "install-deps.sh --test"; }
for p in libsqlite3-dev check redmine clang valgrind python3-aiosmtpd exim4-daemon-heavy zsh fish; do
    grep -q " $p\b" "$T/apt.log" || fail "install-deps --test: no $p"
done
grep -q "^npm install .*prism-cli" "$T/apt.log" || fail "install-deps --test: no Prism"
sed -n '/^demo:/,/^$/p' Makefile | grep -q 'deps-build' || fail "make demo installs the test peers"
sed -n '/^deps-build:/,/^$/p' Makefile | grep -q 'install-deps.sh$' || fail "deps-build passes --test"
# quiet: a make that builds prints one short line per file, no command line
make -n -B V=0 build/lib/util.o 2>/dev/null | grep -q "printf '  %-6s %s" || fail "the build is not quiet"
make -n -B V=1 build/lib/util.o 2>/dev/null | grep -q -- "-Wall" || fail "V=1 does not print the command"
# make demo: one line for the whole build (no line per file), V=1 everything
make -n -B demo 2>/dev/null > "$T/demo.n"
grep -q "building ./closeloop" "$T/demo.n" || fail "make demo does not say it builds"
grep -q "^true CC lib/util.c" "$T/demo.n" || { cat "$T/demo.n"; fail "make demo prints a line per file"; }
grep -q "printf '  %-6s %s" "$T/demo.n" && fail "make demo prints a line per file"
grep -q "^sh contrib/demo.sh" "$T/demo.n" || fail "make demo does not run contrib/demo.sh"
make -n -B demo V=1 2>/dev/null | grep -q -- "-Wall" || fail "make demo V=1 does not print the compiler lines"
echo "t72-demo: ok"
