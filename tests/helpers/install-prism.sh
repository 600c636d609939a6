#!/bin/sh
# Installs Prism (npm @stoplight/prism-cli) into a local directory and prints
# the path of its binary. Usage: tests/helpers/install-prism.sh [DIR]
# DIR defaults to $CLOSELOOP_PRISM_DIR or ~/.cache/closeloop/prism. Fails
# loudly (non-zero) when npm is missing or the install fails: the tests that
# need Prism do not skip.
set -eu
dir=${1:-${CLOSELOOP_PRISM_DIR:-${HOME:-/tmp}/.cache/closeloop/prism}}
bin="$dir/node_modules/.bin/prism"
if [ ! -x "$bin" ]; then
    command -v npm >/dev/null 2>&1 || { echo "install-prism: npm not found (apt-get install npm)" >&2; exit 1; }
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
        @stoplight/prism-cli@5 >&2 || { echo "install-prism: npm install failed" >&2; exit 1; }
fi
[ -x "$bin" ] || { echo "install-prism: $bin missing after install" >&2; exit 1; }
echo "$bin"
