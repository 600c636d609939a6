#!/bin/sh
# Installs what closeloop needs to build and test on Debian/Ubuntu.
# `make check` and `make demo` run it when pkg-config cannot find a library.
# Usage: contrib/install-deps.sh [--test]
#   without --test: what building and running closeloop needs (the libraries,
#     the compiler, pkg-config, CA certificates, time zones; python3 for the
#     demo's local tracker) — what `make demo` installs;
#   --test: also the test peers (Check, sqlite3, aiosmtpd, icalendar, yaml,
#     exim, Redmine, clang, valgrind, zsh, fish, systemd (systemd-analyze
#     verifies the unit in t93), chromium — t47-html-browser
#     renders the report, a reminder and an invite — npm and Prism) — what
#     `make check` installs.
set -eu
pkgs="build-essential pkg-config libsqlite3-dev libcurl4-openssl-dev libical-dev
      libesmtp-dev libjansson-dev libmd4c-dev libinih-dev libgmime-3.0-dev
      libxml2-dev libssl-dev libgoogle-perftools-dev tzdata ca-certificates python3"
test_pkgs="check sqlite3 openssl
      python3-aiosmtpd python3-icalendar python3-yaml exim4-daemon-heavy time bc
      redmine redmine-sqlite thin clang libclang-rt-dev valgrind zsh fish chromium systemd"
with_test=0
case "${1:-}" in
--test) with_test=1 ;;
"") ;;
*) echo "usage: $0 [--test]" >&2; exit 64 ;;
esac
[ $with_test = 1 ] && pkgs="$pkgs $test_pkgs"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
# npm for Prism: Debian's package unless a node install brought its own
[ $with_test = 1 ] && { command -v npm >/dev/null 2>&1 || missing="$missing npm"; }
if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    # the sync tests run a throw-away Redmine on SQLite (tests/helpers/redmine-up.sh)
    case " $missing " in *" redmine "*)
        printf '%s\n' 'redmine redmine/instances/default/dbconfig-install boolean true' \
            'redmine redmine/instances/default/database-type select sqlite3' |
            $sudo debconf-set-selections ;;
    esac
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi
# Prism (npm @stoplight/prism-cli) validates the GitHub requests in t23
if [ $with_test = 1 ] && [ -f "$(dirname "$0")/../tests/helpers/install-prism.sh" ]; then
    sh "$(dirname "$0")/../tests/helpers/install-prism.sh" >/dev/null
fi
