# prism-lib.sh — Prism in proxy mode in front of a fake tracker (sourced
# after tracker-lib.sh or sync-lib.sh): every request closeloop sends is
# checked against the vendor's own API description; zero violations is the
# assertion. Prism is installed with npm into a local directory when
# missing (no skip).

# spec_path NAME: the description in ../shared/api/specs/ (or $CLOSELOOP_SPECS)
spec_path() {
    for c in "${CLOSELOOP_SPECS:-}" "$ROOT/../shared/api/specs" "$ROOT/../../shared/api/specs" \
             /work/shared/api/specs; do
        [ -n "$c" ] && [ -f "$c/$1" ] && { echo "$c/$1"; return 0; }
    done
    fail "API description $1 not found (set CLOSELOOP_SPECS)"
}

# free_port: a free loopback port
free_port() {
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_prism SPEC UPSTREAM PORT: Prism proxy on PORT; sets PROXY
start_prism() {
    PRISM=$(sh "$ROOT/tests/helpers/install-prism.sh") || fail "Prism could not be installed"
    "$PRISM" proxy --errors -h 127.0.0.1 -p "$3" "$1" "$2" > "$T/prism.log" 2>&1 &
    PIDS="$PIDS $!"
    i=0
    until $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$3" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 600 ] && { tail -n 20 "$T/prism.log"; fail "Prism did not start"; }
        sleep 0.1
    done
    PROXY="http://127.0.0.1:$3"
}

# prism_violations TOLERATE_PY: fails on any violation in $T/prism.log but
# those TOLERATE_PY (a Python expression over `line` and `status`, the
# answer's status) accepts; prints the count
prism_violations() {
    $PY - "$T/prism.log" "${1:-False}" <<'PYEOF' || fail "Prism reported violations"
import re, sys
status, bad, known = None, [], 0
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"has returned (\d+)", line)
    if m:
        status = m.group(1)
    if "Violation:" in line:
        if eval(sys.argv[2]):
            known += 1
        else:
            bad.append(line.strip())
print("prism: %d violations, %d tolerated" % (len(bad), known))
for b in bad[:40]:
    print("  " + b)
sys.exit(1 if bad else 0)
PYEOF
}
