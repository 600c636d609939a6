#!/bin/sh
# A database closeloop cannot write: exit 73 with a message naming it, and
# the database unchanged. Two ways it happens:
#  1. file and directory not writable by the user (root runs the binary as
#     nobody: root would write anyway);
#  2. a read-only file system (a read-only bind mount of a tmpfs, in a
#     private mount namespace: root, or an unprivileged user namespace).
# And init into a directory it cannot create exits 73 too.
if [ "${1:-}" = "--ro-fs" ]; then
    part=fs
elif [ -z "${CL_T81_NS:-}" ]; then
    part=perm
fi
. "$(dirname "$0")/lib.sh"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z

dump() {
    sqlite3 "file:$1?immutable=1" "PRAGMA integrity_check;
        SELECT slug, title, content_hash FROM postmortems ORDER BY source;
        SELECT key, action, owner, due, status, updated_at FROM items ORDER BY key;
        SELECT item_id, field, old, new FROM history ORDER BY id;
        SELECT key, value FROM meta ORDER BY key"
}
# prepare DIR: a database in DIR/db with 2 post-mortems, a third one waiting
prepare() {
    mkdir -p "$1/pm" "$1/db"
    sh "$TOP/tests/helpers/gen-pm.sh" "$1/pm" 2 3
    printf '[closeloop]\ntimezone = UTC\n' > "$1/config"
    expect_rc 0 "$CL" -c "$1/config" -d "$1/db/cl.db" init
    expect_rc 0 "$CL" -c "$1/config" -d "$1/db/cl.db" import "$1/pm"
    sh "$TOP/tests/helpers/gen-pm.sh" "$T/more" 3 3
    cp "$T/more/inc-3.md" "$1/pm/"
    dump "$1/db/cl.db" > "$T/before"
    head -n 1 "$T/before" | grep -qx ok || fail "integrity before"
}
# checks COMMAND... exits 73 naming the database and changes nothing
refused() {
    db=$1; shift
    expect_rc 73 "$@"
    expect_in "$T/err" "$db"
    expect_in "$T/err" "cannot be written"
    dump "$db" > "$T/after"
    cmp -s "$T/before" "$T/after" || { diff "$T/before" "$T/after" >&2;
        fail "'$*' changed the database"; }
}

if [ "$part" = perm ]; then
    D="$T/perm"
    prepare "$D"
    if [ "$(id -u)" -eq 0 ]; then
        chmod 755 "$T" "$D" "$D/db" "$D/pm"
        chmod 644 "$D/db/cl.db" "$D/config" "$D"/pm/*
        as="setpriv --reuid=65534 --regid=65534 --clear-groups"
        $as true || fail "setpriv cannot drop to nobody"
    else
        chmod 444 "$D/db/cl.db"
        chmod 555 "$D/db"
        as=""
    fi
    refused "$D/db/cl.db" $as "$CL" -c "$D/config" -d "$D/db/cl.db" import "$D/pm"
    refused "$D/db/cl.db" $as "$CL" -c "$D/config" -d "$D/db/cl.db" done inc-1.1
    refused "$D/db/cl.db" $as "$CL" -c "$D/config" -d "$D/db/cl.db" init
    # a directory that cannot be made
    expect_rc 73 $as "$CL" -c "$D/config" -d "$D/db/sub/new.db" init
    expect_in "$T/err" "$D/db/sub"
    [ -e "$D/db/sub" ] && fail "init made $D/db/sub"
    chmod 755 "$D/db"
    # part 2 in its own mount namespace
    if [ "$(id -u)" -eq 0 ]; then
        CL_T81_NS=1 unshare -m --propagation private sh "$0" --ro-fs ||
            fail "read-only file system part failed"
    else
        CL_T81_NS=1 unshare -r -m --propagation private sh "$0" --ro-fs ||
            fail "read-only file system part failed"
    fi
    echo "t81: ok"
    exit 0
fi

# --- part 2: read-only file system ---------------------------------------
M="$T/mnt"
mkdir -p "$M"
mount -t tmpfs -o size=4m,mode=0700 tmpfs "$M" || fail "cannot mount a tmpfs"
trap 'umount "$M" 2>/dev/null; rm -rf "$T"' EXIT
prepare "$M"
# a read-only view of it (a bind mount remounted read-only also works in an
# unprivileged user namespace)
R="$T/ro"
mkdir -p "$R"
mount --bind "$M" "$R" && mount -o remount,bind,ro "$R" || fail "cannot make a read-only bind mount"
trap 'umount "$R" 2>/dev/null; umount "$M" 2>/dev/null; rm -rf "$T"' EXIT
touch "$R/probe" 2>/dev/null && fail "$R is writable"
refused "$R/db/cl.db" "$CL" -c "$R/config" -d "$R/db/cl.db" import "$R/pm"
refused "$R/db/cl.db" "$CL" -c "$R/config" -d "$R/db/cl.db" done inc-1.1
expect_rc 73 "$CL" -c "$R/config" -d "$R/db/other.db" init
expect_in "$T/err" "$R/db/other.db"
# writable again: the waiting post-mortem comes in, nothing was lost
expect_rc 0 "$CL" -c "$M/config" -d "$M/db/cl.db" import "$M/pm"
n=$(sqlite3 "$M/db/cl.db" "SELECT count(*) FROM items")
[ "$n" -eq 9 ] || fail "afterwards: $n items, want 9"
echo "t81 (read-only file system): ok"
