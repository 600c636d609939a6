#!/bin/sh
# Makes a throw-away test CA and server certificates in DIR:
#   ca.pem            the CA (trust this one: [mail] ca_file)
#   localhost.pem/.key  for DNS:localhost, signed by the CA
#   wronghost.pem/.key  for DNS:wrong.example, signed by the CA
# Usage: tests/helpers/mkcert.sh DIR
set -eu
d=$1
mkdir -p "$d"
cd "$d"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj "/CN=closeloop test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
for h in localhost:localhost wronghost:wrong.example; do
    name=${h%%:*}; dns=${h#*:}
    openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" \
        -subj "/CN=$dns" 2>/dev/null
    printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        "$dns" > "$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
        -out "$name.pem" -days 2 -extfile "$name.ext" 2>/dev/null
done
