# tests/helpers/mta-pair.sh — one mail test against two servers, exim
# (tests/helpers/exim.sh) and aiosmtpd (tests/mail-lib.sh), with the same
# policy (550 for refused.example, 451 for later.example while $SD/defer
# exists); sourced after lib.sh. Makes the test CA and certificates in
# $T/certs (mkcert.sh) and the password in $T/pw. Set KIND to exim or
# aiosmtpd, then srv_start. Delivery is read from the server's own records.
. "$TOP/tests/mail-lib.sh"
. "$TOP/tests/helpers/exim.sh"
trap 'exim_stop; smtpd_stop; rm -rf "$T"' EXIT
sh "$TOP/tests/helpers/mkcert.sh" "$T/certs" || fail "mkcert"
printf 'pa55word\n' > "$T/pw"; chmod 600 "$T/pw"
KIND=""
N=0

# srv_start [--tls CERT|--no-tls] [--auth plain|login|both|none]: a fresh
# server of kind $KIND in $SD, policy as in exim.sh; sets PORT
srv_start() {
    N=$((N + 1)); SD="$T/$KIND$N"
    if [ "$KIND" = exim ]; then
        exim_start "$SD" "$@"
        MD="$SD/Maildir"
        return
    fi
    s_tls=localhost; s_auth=both
    while [ $# -gt 0 ]; do
        case $1 in --tls) s_tls=$2; shift ;; --no-tls) s_tls="" ;; --auth) s_auth=$2; shift ;; esac
        shift
    done
    set -- --refuse-domain refused.example --defer-domain later.example
    [ -n "$s_tls" ] && set -- "$@" --tls-cert "$T/certs/$s_tls.pem" --tls-key "$T/certs/$s_tls.key"
    case $s_auth in
    none) ;;
    both) set -- "$@" --auth "cltest:$(cat "$T/pw")" ;;
    plain) set -- "$@" --auth "cltest:$(cat "$T/pw")" --auth-mechs PLAIN ;;
    login) set -- "$@" --auth "cltest:$(cat "$T/pw")" --auth-mechs LOGIN ;;
    esac
    smtpd_start "$SD" "$@"
    MD="$SD"
}
srv_stop() { if [ "$KIND" = exim ]; then exim_stop; else smtpd_stop; fi; }
# delivered ADDR: how many messages the server delivered to ADDR
delivered() {
    if [ "$KIND" = exim ]; then
        exim_wait_idle "$SD"
        awk -v a="$1" '$4 == "=>" || $4 == "->" { for (i = 5; i <= 6; i++) if ($i == a || $i == "<" a ">") { n++; break } } END { print n + 0 }' "$SD/log/mainlog"
    else
        cat "$SD"/*.json 2>/dev/null | $PY -c '
import json, sys
a = sys.argv[1]; n = 0
for line in sys.stdin.read().replace("}{", "}\n{").splitlines():
    if line.strip():
        n += a in json.loads(line)["rcpt_tos"]
print(n)' "$1"
    fi
}
# messages: how many messages the server accepted (any recipient)
messages() {
    if [ "$KIND" = exim ]; then exim_received "$SD"; else ls "$SD"/*.eml 2>/dev/null | wc -l; fi
}
# sessions: SMTP sessions (exim: ended with QUIT; aiosmtpd: first EHLO)
sessions() {
    if [ "$KIND" = exim ]; then grep -c "closed by QUIT" "$SD/log/mainlog"
    else grep -c "^ehlo .* plain$" "$SD/events.log"; fi
}
# ehlo_names: the EHLO names the server saw, one a line
ehlo_names() {
    if [ "$KIND" = exim ]; then sed -n 's/.* H=(\([^)]*\)) .*/\1/p' "$SD/log/mainlog" | sort -u
    else sed -n 's/^ehlo \([^ ]*\) .*/\1/p' "$SD/events.log" | sort -u; fi
}
# rcpt_tries ADDR: how often the server was asked to take ADDR (RCPT)
rcpt_tries() {
    if [ "$KIND" = exim ]; then grep -c "RCPT <$1>" "$SD/log/mainlog"
    else grep -c "^rcpt $1\$" "$SD/events.log"; fi
}
check_mail() {
    if [ "$KIND" = exim ]; then mailcheck "$MD" --maildir "$@"; else mailcheck "$MD" "$@"; fi
}
