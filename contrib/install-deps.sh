#!/bin/sh
# Installs what closeloop needs to build and test on Debian/Ubuntu.
# `make check` and `make demo` run it when pkg-config cannot find a library.
# Usage: contrib/install-deps.sh [--test]   (--test: also the test peers)
set -eu
pkgs="build-essential pkg-config libsqlite3-dev libcurl4-openssl-dev libical-dev
      libesmtp-dev libjansson-dev libmd4c-dev libinih-dev libgmime-3.0-dev
      libxml2-dev libssl-dev tzdata ca-certificates check sqlite3 openssl
      python3 python3-aiosmtpd python3-icalendar exim4-daemon-heavy time bc
      redmine redmine-sqlite thin clang libclang-rt-dev valgrind"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
# npm for Prism: Debian's package unless a node install brought its own
command -v npm >/dev/null 2>&1 || missing="$missing npm"
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
if [ -f "$(dirname "$0")/../tests/helpers/install-prism.sh" ]; then
    sh "$(dirname "$0")/../tests/helpers/install-prism.sh" >/dev/null
fi
