#!/bin/sh
# A first import (64 files or more into a database without post-mortems)
# runs in one transaction through a rollback journal (lib/import.c
# first_import): it stores what any import stores, leaves the database in
# WAL mode, and a kill at any moment leaves an intact database holding all
# of the import or none of it, which the next import completes. With a
# reader holding the database open, it runs as any other import (WAL,
# commits every 500 documents) and the reader is not disturbed.
. "$(dirname "$0")/lib.sh"
DB="$T/db"
n() { sqlite3 "$DB" "$1"; }
$PY "$TOP/bench/gen-corpus.py" "$T/pm" 1200 > /dev/null || fail "gen-corpus"
# names that collide: two files whose ids would be one (2022/01/x.md and
# 2022-01/x.md), two files given by path with one name (x/a.md, y/a.md):
# a first import answers "taken?" from what it inserted, not from SQLite
mkdir -p "$T/pm/2022-01" "$T/x" "$T/y"
for f in pm/2022-01/pm-00000.md x/pm-00000.md y/pm-00000.md; do
    cp "$T/pm/2022/01/pm-00000.md" "$T/$f"
done
more="$T/x/pm-00000.md $T/y/pm-00000.md"
# teams by rule and by directory: a first import sets them as it inserts
mkdir -p "$XDG_CONFIG_HOME/closeloop"
printf '[teams]\npayments = 2022/0*, x/*\nfrom_directory = yes\n' > "$XDG_CONFIG_HOME/closeloop/config"
want_pm=$(find "$T/pm" "$T/x" "$T/y" -name '*.md' | wc -l)

# the same rows as an import the old way (a reader keeps it in WAL mode)
dump() {
    sqlite3 "$1" "SELECT id, postmortem_id, key, seq, position, line, norm, action, owner, due,
                  status, problems, norm_hash FROM items ORDER BY id;
                  SELECT id, slug, source, title, content_hash, problems, team FROM postmortems ORDER BY id;
                  SELECT key, value FROM meta WHERE key = 'teams_fingerprint'"
}
expect_rc 0 "$CL" -q -d "$DB" import "$T/pm" $more
[ "$(n 'PRAGMA journal_mode')" = wal ] || fail "journal mode after a first import: $(n 'PRAGMA journal_mode')"
[ "$(n 'PRAGMA integrity_check')" = ok ] || fail "integrity after a first import"
[ "$(n 'SELECT count(*) FROM postmortems')" -eq "$want_pm" ] || fail "post-mortems: $(n 'SELECT count(*) FROM postmortems')"
[ -z "$(n 'PRAGMA foreign_key_check')" ] || fail "foreign keys after a first import"
[ ! -e "$DB-journal" ] || fail "a journal was left behind"
dump "$DB" > "$T/first"
teams=$(n "SELECT group_concat(t, ' ') FROM (SELECT DISTINCT coalesce(team, '-') t
            FROM postmortems ORDER BY t)")
[ "$teams" = "- 2022 2022-01 2023 2024 payments y" ] || fail "teams: $teams"
[ "$(n "SELECT group_concat(slug || ' ' || source, ', ') FROM postmortems
        WHERE slug LIKE '%pm-00000%'")" = "2022-01-pm-00000 2022/01/pm-00000.md, 2022-01-pm-00000-2 \
2022-01/pm-00000.md, pm-00000 pm-00000.md, y-pm-00000 y/pm-00000.md" ] ||
    fail "colliding names: $(n "SELECT slug, source FROM postmortems WHERE slug LIKE '%pm-00000%'")"

# a reader holds a second database open across a first import: SQLite
# cannot leave WAL, the import commits as usual, the reader reads on
DB2="$T/db2"
expect_rc 0 "$CL" -q -d "$DB2" init
$PY - "$DB2" "$T/reader" > "$T/reader.out" 2>&1 <<'EOF' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN")
n0 = db.execute("SELECT count(*) FROM postmortems").fetchone()[0]
open(sys.argv[2] + ".ready", "w").close()
for _ in range(300):                 # at most 30 s: until the import is done
    if db.execute("SELECT count(*) FROM postmortems").fetchone()[0] != n0:
        sys.exit("the reader's snapshot moved")
    try:
        open(sys.argv[2] + ".done").close()
        break
    except OSError:
        time.sleep(0.1)
db.execute("COMMIT")
print(db.execute("SELECT count(*) FROM postmortems").fetchone()[0])
EOF
reader=$!
i=0
while [ ! -e "$T/reader.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$T/reader.ready" ] || fail "the reader did not start"
expect_rc 0 "$CL" -q -d "$DB2" import "$T/pm" $more
touch "$T/reader.done"
wait $reader || fail "the reader failed: $(cat "$T/reader.out")"
[ "$(sqlite3 "$DB2" 'PRAGMA journal_mode')" = wal ] || fail "journal mode with a reader"
dump "$DB2" > "$T/second"
cmp -s "$T/first" "$T/second" || { diff "$T/first" "$T/second" | head -n 10 >&2;
    fail "a first import stored other rows than an import in WAL mode"; }

# commands that read while a first import writes wait for it (SQLite
# answers their switch to WAL with BUSY at once: lib/store.c wal_on)
for ms in 20 60 120; do
    rm -f "$DB" "$DB"-*
    expect_rc 0 "$CL" -q -d "$DB" init
    "$CL" -q -d "$DB" import "$T/pm" > /dev/null 2>&1 &
    pid=$!
    sleep "$(echo "scale=3; $ms / 1000" | bc)"
    "$CL" -d "$DB" list --json > "$T/during" 2> "$T/during.err" ||
        fail "list during a first import (at ${ms} ms): $(cat "$T/during.err")"
    "$CL" -d "$DB" status > /dev/null 2> "$T/during.err" ||
        fail "status during a first import (at ${ms} ms): $(cat "$T/during.err")"
    wait $pid || fail "the first import with readers (at ${ms} ms)"
done
echo "ok: readers wait for a first import"

# killed at a moment that moves through the import: all or nothing, intact,
# and the next import completes it
total_items=$(n 'SELECT count(*) FROM items')
for ms in 40 120 200 300 450 700; do
    rm -f "$DB" "$DB"-*
    expect_rc 0 "$CL" -q -d "$DB" init
    "$CL" -q -d "$DB" import "$T/pm" > /dev/null 2>&1 &
    pid=$!
    sleep "$(echo "scale=3; $ms / 1000" | bc)"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    [ "$(n 'PRAGMA integrity_check')" = ok ] || fail "integrity after a kill at ${ms} ms"
    got=$(n 'SELECT count(*) FROM items')
    echo "kill at $ms ms: $got of $total_items items"
    [ "$got" -eq 0 ] || [ "$got" -eq "$total_items" ] ||
        fail "kill at ${ms} ms left $got of $total_items items"
    expect_rc 0 "$CL" -q -d "$DB" import "$T/pm"
    [ "$(n 'SELECT count(*) FROM items')" -eq "$total_items" ] ||
        fail "the import after a kill at ${ms} ms: $(n 'SELECT count(*) FROM items') items"
    [ "$(n 'PRAGMA journal_mode')" = wal ] || fail "journal mode after a kill at ${ms} ms"
done
# a reader waits for a writer the busy timeout in all (10 s), not per try: a writer holding
# EXCLUSIVE, as a first import does once its page cache spills, made each
# of wal_on's 200 tries wait 10 s (a reader hung 33 minutes)
rm -f "$DB" "$DB"-*
expect_rc 0 "$CL" -q -d "$DB" init
$PY - "$DB" > "$T/locker.out" 2>&1 <<'PYEOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA journal_mode = DELETE")
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[1] + ".locked", "w").close()
time.sleep(40)
PYEOF
locker=$!
i=0
while [ ! -e "$DB.locked" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$DB.locked" ] || fail "the locker did not start: $(cat "$T/locker.out")"
start=$(date +%s)
rc=0
timeout 35 "$CL" -d "$DB" list > /dev/null 2> "$T/busy.err" || rc=$?
took=$(( $(date +%s) - start ))
kill $locker 2>/dev/null; wait $locker 2>/dev/null
[ $rc = 75 ] || fail "list against an EXCLUSIVE lock: exit $rc after ${took} s (want 75 after ~10 s)"
[ $took -le 20 ] || fail "list against an EXCLUSIVE lock waited ${took} s"
grep -q "is busy" "$T/busy.err" || fail "list against an EXCLUSIVE lock: $(cat "$T/busy.err")"
echo "ok: a reader gives up after the busy timeout (${took} s)"
echo "t18: ok"
