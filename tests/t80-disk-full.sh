#!/bin/sh
# Disk full: the database lives on a tiny tmpfs (in a private mount
# namespace: root, or an unprivileged user namespace elsewhere). An import
# that runs out of space exits 75 (try again later) with a message saying
# so, leaves the database exactly as it was and intact; once space is back
# the same import goes through. The same for a local change (done).
if [ -z "${CL_T80_NS:-}" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        CL_T80_NS=1 exec unshare -m --propagation private sh "$0" "$@"
    else
        CL_T80_NS=1 exec unshare -r -m --propagation private sh "$0" "$@"
    fi
    echo "FAIL: unshare is needed for a private tmpfs" >&2
    exit 1
fi
. "$(dirname "$0")/lib.sh"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
M="$T/mnt"
mkdir -p "$M"
mount -t tmpfs -o size=2m,mode=0700 tmpfs "$M" || fail "cannot mount a tmpfs"
trap 'umount "$M" 2>/dev/null; rm -rf "$T"' EXIT
DB="$M/closeloop.db"
printf '[closeloop]\ndatabase = %s\ntimezone = UTC\nsources = %s\n' "$DB" "$T/pm" > "$T/config"
export CLOSELOOP_CONFIG="$T/config"

dump() {
    sqlite3 "$DB" "PRAGMA integrity_check" > "$1"
    sqlite3 "$DB" "SELECT slug, source, title, content_hash FROM postmortems ORDER BY source;
                   SELECT key, action, owner, due, status FROM items ORDER BY key;
                   SELECT item_id, field, old, new FROM history ORDER BY id;
                   SELECT key, value FROM meta WHERE key <> 'drill_uid_salt' ORDER BY key" >> "$1"
}
# fills the tmpfs up to the last few KiB
fill() {
    dd if=/dev/zero of="$M/fill" bs=4k 2>/dev/null
    sync
    rm -f "$M/fill"
    avail=$(df -k "$M" | awk 'NR == 2 { print $4 }')
    dd if=/dev/zero of="$M/fill" bs=1k count=$((avail - $1)) 2>/dev/null || fail "cannot fill"
}

# a first import that fits
mkdir -p "$T/pm"
sh "$TOP/tests/helpers/gen-pm.sh" "$T/pm/small" 3 4
expect_rc 0 "$CL" init
expect_rc 0 "$CL" import "$T/pm"
expect_rc 0 "$CL" list --json
dump "$T/before"
head -n 1 "$T/before" | grep -qx ok || fail "integrity before: $(head -n 1 "$T/before")"
items_before=$(sqlite3 "$DB" "SELECT count(*) FROM items")
[ "$items_before" -eq 12 ] || fail "first import: $items_before items, want 12"

# then a big one with the disk nearly full: 75, a clear message, no change
sh "$TOP/tests/helpers/gen-pm.sh" "$T/pm/big" 60 40
fill 24
expect_rc 75 "$CL" import "$T/pm"
expect_in "$T/err" "disk full"
expect_in "$T/err" "$DB"
# (sqlite3 itself needs room to read a WAL database back: free it first)
rm -f "$M/fill"
dump "$T/after"
cmp -s "$T/before" "$T/after" || { diff "$T/before" "$T/after" | head -n 20 >&2;
    fail "the failed import changed the database"; }

# a local change on a full disk: 75 as well, the item stays open
key=$(sqlite3 "$DB" "SELECT key FROM items ORDER BY key LIMIT 1")
fill 0
expect_rc 75 "$CL" done "$key"
expect_in "$T/err" "disk full"
rm -f "$M/fill"
[ "$(sqlite3 "$DB" "SELECT status FROM items WHERE key = '$key'")" = open ] ||
    fail "done on a full disk changed the item"

# the cron entry point on a full disk: 75 and says why (not a silent 0)
fill 0
expect_rc 75 "$CL" run
expect_in "$T/err" "disk full"
rm -f "$M/fill"

# a new database on a full disk: 75; with space back, init finishes the job
fill 0
expect_rc 75 "$CL" -d "$M/new.db" init
expect_in "$T/err" "disk full"
rm -f "$M/fill"
expect_rc 0 "$CL" -d "$M/new.db" init
[ "$(sqlite3 "$M/new.db" "PRAGMA user_version")" = "$(sqlite3 "$DB" "PRAGMA user_version")" ] ||
    fail "new.db not fully migrated"

# space back: the same import goes through, nothing lost, nothing twice
expect_rc 0 "$CL" import "$T/pm"
[ "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok ] || fail "integrity after"
n=$(sqlite3 "$DB" "SELECT count(*) FROM items")
[ "$n" -eq $((12 + 60 * 40)) ] || fail "after the retry: $n items, want $((12 + 60 * 40))"
dups=$(sqlite3 "$DB" "SELECT count(*) FROM (SELECT norm FROM items GROUP BY postmortem_id, norm HAVING count(*) > 1)")
[ "$dups" -eq 0 ] || fail "$dups duplicated items"
expect_rc 0 "$CL" done "$key"
echo "t80: ok"
