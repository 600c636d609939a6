#!/bin/sh
# A server named by an IP address is verified against the certificate's IP
# addresses (RFC 6125), on both sides: the tracker (libcurl) and mail
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
