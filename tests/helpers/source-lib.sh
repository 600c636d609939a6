# source-lib.sh — shared by the [source] tests (tests/t5x-source-*.sh);
# sourced. The fake GitHub plumbing of sync-lib.sh, the assertions of
# lib.sh, and the fake Confluence (tests/helpers/fake_confluence.py).
. "$(dirname "$0")/helpers/sync-lib.sh"
export CL_CONF_TOKEN="conf-api-token-0123"

. "$ROOT/tests/helpers/assert.sh"

# start_conf ARGS: starts the fake Confluence (--flavor cloud|dc …); sets CONF
start_conf() {
    rm -f "$T/conf.port"
    $PY "$ROOT/tests/helpers/fake_confluence.py" --port-file "$T/conf.port" \
        --token "$CL_CONF_TOKEN" --user sre-bot@example.com --max-seconds 900 "$@" \
        2>"$T/conf.log" &
    PIDS="$PIDS $!"
    CONF="http://127.0.0.1:$(wait_port "$T/conf.port")"
}
# cadmin PATH [JSON]: the fake Confluence's admin endpoints
cadmin() { FAKE=$CONF admin "$@"; }
cstat() { cadmin /_admin/stats | jq_py "$1"; }
# page_json SPACE ID TITLE LABELS FILE: an admin page from a storage-format file
page_json() {
    $PY -c 'import json,sys; print(json.dumps({"space": sys.argv[1], "id": sys.argv[2], "title": sys.argv[3], "labels": sys.argv[4].split(",") if sys.argv[4] else [], "body": open(sys.argv[5]).read()}))' "$@"
}
