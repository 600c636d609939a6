#!/bin/sh
# make bench (part 2): the report on a 100,000-item database.
# For each format, the report's own queries are written to a .sql file
# (CLOSELOOP_REPORT_SQL) and the sqlite3 shell runs them in the same run:
# the baseline. Targets: report <= 2 x sqlite3 on its queries, peak RSS
# <= 64 MiB in every format (JSON and CSV complete), status <= 0.1 s,
# list --overdue --json <= 64 MiB. Median of BENCH_RUNS runs (default 5).
# The formats again with 12 teams (the all-teams report by team first), and
# one team's report. BENCH_REPORT_DOCS=N changes the corpus (default 17000
# documents, ~6 items each).
set -eu
cd "$(dirname "$0")/.."
docs=${BENCH_REPORT_DOCS:-17000}
runs=${BENCH_RUNS:-5}
corpus=bench/corpus-$docs
db=bench/report-$docs.db
work=$(mktemp -d /tmp/clbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export CLOSELOOP_NOW=2024-06-12T09:00:00Z
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)"; exit 1; }
command -v sqlite3 > /dev/null || { echo "bench: needs the sqlite3 shell"; exit 1; }
if [ ! -f "$corpus/.done" ]; then
    rm -rf "$corpus"
    /usr/bin/python3 bench/gen-corpus.py "$corpus" "$docs"
    touch "$corpus/.done"
fi
if [ ! -f "$db.done" ] || [ "$db.done" -ot closeloop ]; then
    rm -f "$db" "$db-wal" "$db-shm"
    ./closeloop -q -d "$db" init > /dev/null
    ./closeloop -q -d "$db" import "$corpus" > /dev/null || true   # lint problems: exit 1
    touch "$db.done"
fi
items=$(sqlite3 "$db" 'select count(*) from items')

# median elapsed seconds of a command over $runs runs; the peak RSS (KiB)
# of the slowest-but-median run goes to $work/rss, the largest to $work/maxrss
median() {
    : > "$work/all"
    i=0
    while [ $i -lt "$runs" ]; do
        /usr/bin/time -f "%e %M %U %S" -o "$work/t" sh -c "$1" > /dev/null 2>&1 || true
        cat "$work/t" >> "$work/all"
        i=$((i + 1))
    done
    sort -n "$work/all" | sed -n "$(( (runs + 1) / 2 ))p" | {
        read -r e m u sy; echo "$m" > "$work/rss"; echo "$u + $sy" | bc > "$work/cpu"; echo "$e"; }
    sort -k2 -n "$work/all" | tail -1 | { read -r e m u sy; echo "$m" > "$work/maxrss"; }
}
echo "database:    $db, $items items (CLOSELOOP_NOW=$CLOSELOOP_NOW), median of $runs runs"
ok=0
# measure DB LABEL ARGS: the report with ARGS against the sqlite3 shell on
# the queries it ran (written by CLOSELOOP_REPORT_SQL), both medians
measure() {
    mdb=$1; label=$2; shift 2
    rm -f "$work/q.sql"
    CLOSELOOP_REPORT_SQL="$work/q.sql" ./closeloop -q -d "$mdb" report "$@" > "$work/out"
    size=$(wc -c < "$work/out")
    t_sql=$(median "sqlite3 '$mdb' < '$work/q.sql'")
    rss_sql=$(cat "$work/rss"); cpu_sql=$(cat "$work/cpu")
    t_rep=$(median "./closeloop -q -d '$mdb' report $*")
    rss_rep=$(cat "$work/maxrss"); cpu_rep=$(cat "$work/cpu")
    ratio=$(echo "scale=2; $t_rep / $t_sql" | bc)
    printf '%-9s sqlite3 %ss (cpu %ss, %s KiB)  report %ss (cpu %ss; %s x; target <= 2), peak RSS %s KiB, %s bytes\n' \
        "$label" "$t_sql" "$cpu_sql" "$rss_sql" "$t_rep" "$cpu_rep" "$ratio" "$rss_rep" "$size"
    [ "$(echo "$t_rep <= 2 * $t_sql" | bc)" = 1 ] || { echo "MISSED: report $* time"; ok=1; }
    [ "$rss_rep" -le 65536 ] || { echo "MISSED: report $* memory"; ok=1; }
}
for f in text markdown html json csv; do
    measure "$db" "$f:" --format $f
done
# the same with 12 teams (set in a copy of the database: the report is
# measured, not the import): the all-teams report with its per-team table
# and the overdue items by team first, and one team's report
tdb="$work/teams.db"
cp "$db" "$tdb"
sqlite3 "$tdb" "UPDATE postmortems SET team = 'team-' || (id % 12)"
echo "with 12 teams ($tdb):"
for f in text markdown html json csv; do
    measure "$tdb" "$f:" --format $f
done
measure "$tdb" "team-3:" --team team-3 --format text
t_status=$(median "./closeloop -q -d '$db' status")
echo "status:      ${t_status}s (cpu $(cat "$work/cpu")s; target <= 0.1), peak RSS $(cat "$work/maxrss") KiB"
[ "$(echo "$t_status <= 0.1" | bc)" = 1 ] || { echo "MISSED: status time"; ok=1; }
t_list=$(median "./closeloop -q -d '$db' list --overdue --json")
rss_list=$(cat "$work/maxrss")
echo "list --overdue --json: ${t_list}s, peak RSS $rss_list KiB (target <= 65536)"
[ "$rss_list" -le 65536 ] || { echo "MISSED: list --overdue --json memory"; ok=1; }
[ $ok = 0 ] && echo "bench report: all targets met"
exit $ok
