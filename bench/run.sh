#!/bin/sh
# make bench: import benchmark on a synthetic corpus of 10,000 post-mortems.
# Times `cat` over the same files in the same run (the median of BENCH_RUNS,
# default 5, runs of each) and checks the targets:
#   full import <= 2 x cat, re-import of the unchanged corpus <= 0.5 x cat,
#   peak memory <= 64 MiB (issue 11); then bench/linear.sh (parse time grows
#   linearly with a document's size).
# BENCH_DOCS=N changes the corpus size (default 10000).
set -eu
cd "$(dirname "$0")/.."
docs=${BENCH_DOCS:-10000}
corpus=bench/corpus-$docs
work=$(mktemp -d /tmp/clbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)"; exit 1; }
if [ ! -f "$corpus/.done" ]; then
    rm -rf "$corpus"
    /usr/bin/python3 bench/gen-corpus.py "$corpus" "$docs"
    touch "$corpus/.done"
fi
files=$(find "$corpus/" -name '*.md' | wc -l)
bytes=$(find "$corpus/" -name '*.md' -print0 | xargs -0 cat | wc -c)

# median of BENCH_RUNS (default 5) runs of a command: elapsed seconds on
# stdout; the median user+sys CPU seconds in $work/cpu; the largest peak RSS
# (KiB) of the runs in $work/rss. PREP runs before each run, untimed.
runs=${BENCH_RUNS:-5}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
measure() {
    : > "$work/all"
    for i in $(seq "$runs"); do
        [ -n "${PREP:-}" ] && sh -c "$PREP"
        /usr/bin/time -f "%e %U %S %M" -o "$work/t" sh -c "$1" > /dev/null 2>&1 || true
        tail -n 1 "$work/t" >> "$work/all"
    done
    awk '{ print $2 + $3 }' "$work/all" | median > "$work/cpu"
    awk '{ print $4 }' "$work/all" | sort -n | tail -n 1 > "$work/rss"
    awk '{ print $1 }' "$work/all" | median
}
find "$corpus/" -name '*.md' -print0 | xargs -0 cat > /dev/null    # warm the page cache
t_cat=$(PREP="" measure "find '$corpus/' -name '*.md' -print0 | xargs -0 cat > /dev/null")
cpu_cat=$(cat "$work/cpu")
t_full=$(PREP="rm -f '$work'/db*" measure "./closeloop -q -d '$work/db' import '$corpus'")
cpu_full=$(cat "$work/cpu")
rss_full=$(cat "$work/rss")
items=$(sqlite3 "$work/db" 'select count(*) from items')
t_re=$(PREP="" measure "./closeloop -q -d '$work/db' import '$corpus'")
cpu_re=$(cat "$work/cpu")
rss_re=$(cat "$work/rss")
ratio_full=$(echo "scale=2; $t_full / $t_cat" | bc)
ratio_re=$(echo "scale=2; $t_re / $t_cat" | bc)
echo "corpus:      $files files, $bytes bytes, $items items"
echo "median of $runs runs (elapsed; user+sys CPU):"
echo "cat:         ${t_cat}s (cpu ${cpu_cat}s)"
echo "full import: ${t_full}s (${ratio_full} x cat; target <= 2), cpu ${cpu_full}s, peak RSS ${rss_full} KiB"
echo "re-import:   ${t_re}s (${ratio_re} x cat; target <= 0.5), cpu ${cpu_re}s, peak RSS ${rss_re} KiB"
ok=0
[ "$(echo "$t_full <= 2 * $t_cat" | bc)" = 1 ] || { echo "MISSED: full import"; ok=1; }
[ "$(echo "$t_re <= 0.5 * $t_cat" | bc)" = 1 ] || { echo "MISSED: re-import"; ok=1; }
[ "$rss_full" -le 65536 ] && [ "$rss_re" -le 65536 ] || { echo "MISSED: memory"; ok=1; }
sh bench/linear.sh || ok=1
[ $ok = 0 ] && echo "bench: all targets met"
exit $ok
