#!/bin/sh
# A server named by an IP address is verified against the certificate's IP
# addresses (RFC 6125), on every side: the tracker (libcurl), a Confluence
# source (libcurl, against the fake Confluence Cloud over TLS) and mail
# (tests/t44-mail-mta.sh has the SMTP half). A certificate naming only
# 127.0.0.1 (its CN no host name) is accepted at https://127.0.0.1; one
# naming only localhost is refused there (69), and the other way round.
. "$(dirname "$0")/helpers/sync-lib.sh"
sh "$ROOT/tests/helpers/mkcert.sh" "$T/certs" || fail mkcert
sh "$ROOT/tests/helpers/gen-pm.sh" "$T/pm" 1 2
write_config github "http://127.0.0.1:1" acme/ops
"$CL" init >/dev/null 2>&1 || fail init
"$CL" import "$T/pm" >/dev/null 2>&1 || fail import

# ip_sync CERT HOST WANT: sync against https://HOST:port serving CERT
ip_sync() {
    rm -f "$T/h.port"
    $PY "$ROOT/tests/helpers/hostile_http.py" --mode empty --port-file "$T/h.port" \
        --tls-cert "$T/certs/$1.pem" --tls-key "$T/certs/$1.key" --max-seconds 60 \
        2> "$T/h.log" &
    hpid=$!
    PIDS="$PIDS $hpid"
    port=$(wait_port "$T/h.port")
    write_config github "https://$2:$port" acme/ops "ca_file = $T/certs/ca.pem"
    "$CL" sync > "$T/out" 2> "$T/err"
    rc=$?
    kill "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null
    [ "$rc" -eq "$3" ] || { cat "$T/err" >&2; fail "$1 at $2: exit $rc, want $3"; }
}
ip_sync ip 127.0.0.1 0
ip_sync localhost 127.0.0.1 69
grep -q "TLS\|certificate\|SSL" "$T/err" || { cat "$T/err"; fail "no TLS reason in the message"; }
ip_sync ip localhost 69
ok "tracker TLS: an IP literal matches IP SANs only, a host name DNS names only"

# conf_import CERT HOST WANT: import a [source] kind = confluence at
# https://HOST:port from the fake Confluence Cloud serving CERT; the page is
# set up through a name the certificate does match
conf_import() {
    rm -f "$T/c.port"
    $PY "$ROOT/tests/helpers/fake_confluence.py" --flavor cloud --port-file "$T/c.port" \
        --token conf-token --user bot@example.com --tls-cert "$T/certs/$1.pem" \
        --tls-key "$T/certs/$1.key" --max-seconds 60 2> "$T/c.log" &
    cpid=$!
    PIDS="$PIDS $cpid"
    port=$(wait_port "$T/c.port")
    case $1 in ip) ahost=127.0.0.1 ;; *) ahost=localhost ;; esac
    for call in '/_admin/space {"key":"SRE"}' \
        '/_admin/page {"space":"SRE","id":"2001","title":"TLS page","labels":["postmortem"],"body":"<h2>Action items</h2><ul><li>Pin the CA bundle @alice due 2024-05-01</li></ul>"}' \
        '/_admin/page {"space":"SRE","id":"2002","title":"TLS page two","labels":["postmortem"],"body":"<h2>Action items</h2><ul><li>Rotate the edge key @alice due 2024-05-02</li></ul>"}'; do
        SSL_CERT_FILE="$T/certs/ca.pem" $PY - "https://$ahost:$port${call%% *}" "${call#* }" <<'PYEOF' || fail "fake confluence admin over TLS"
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(),
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=10).read()
PYEOF
    done
    write_config none "" "" "
[source \"wiki\"]
kind = confluence
flavor = cloud
url = https://$2:$port
space = SRE
label = postmortem
user = bot@example.com
token_env = CONF_TOKEN
ca_file = $T/certs/ca.pem
limit = 1
retries = 0"
    sed -i "s|^database = .*|database = $T/conf-$1-$2.db|" "$T/config"
    "$CL" init >/dev/null 2>&1 || fail init
    CONF_TOKEN=conf-token "$CL" import wiki > "$T/out" 2> "$T/err"
    rc=$?
    kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null
    [ "$rc" -eq "$3" ] || { cat "$T/out" "$T/err" >&2; fail "confluence $1 at $2: exit $rc, want $3"; }
}
conf_import ip 127.0.0.1 0
"$CL" list --all --json > "$T/list.json"
grep -q "Pin the CA bundle" "$T/list.json" && grep -q "Rotate the edge key" "$T/list.json" ||
    fail "confluence over TLS at 127.0.0.1: pages not imported: $(cat "$T/list.json")"
conf_import localhost 127.0.0.1 69
grep -q "TLS\|certificate\|SSL" "$T/err" || { cat "$T/err"; fail "confluence: no TLS reason in the message"; }
conf_import ip localhost 69
conf_import localhost localhost 0
ok "confluence source TLS: an IP literal matches IP SANs only, a host name DNS names only"
