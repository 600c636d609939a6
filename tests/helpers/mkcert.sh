#!/bin/sh
# Makes a throw-away test CA and server certificates in DIR:
#   ca.pem               the CA (trust this one: [mail] ca_file)
#   localhost.pem/.key   for DNS:localhost only, signed by the CA
#   ip.pem/.key          for IP:127.0.0.1 only (no DNS name; a CN that is no
#                        host name, so that a CN fallback cannot match), by the CA
#   wronghost.pem/.key   for DNS:mail.example.org, signed by the CA
#   untrusted.pem/.key   for DNS:localhost and IP:127.0.0.1, signed by a
#                        second CA nobody trusts (other-ca.pem)
# Usage: tests/helpers/mkcert.sh DIR
set -eu
d=$1
mkdir -p "$d"
cd "$d"
# mkca NAME CN: a self-signed CA
mkca() {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 2 \
        -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
mkca ca "closeloop test CA"
mkca other-ca "closeloop untrusted CA"
# mkleaf NAME CA CN SAN
mkleaf() {
    openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" \
        -subj "/CN=$3" 2>/dev/null
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        "$4" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
        -out "$1.pem" -days 2 -extfile "$1.ext" 2>/dev/null
}
mkleaf localhost ca localhost DNS:localhost
mkleaf ip ca "IP-only test server" IP:127.0.0.1
mkleaf wronghost ca mail.example.org DNS:mail.example.org
mkleaf untrusted other-ca localhost DNS:localhost,IP:127.0.0.1
