#!/bin/sh
# make bench: import benchmark on a synthetic corpus of 10,000 post-mortems.
# Times `cat` over the same files in the same run and checks the targets:
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
files=$(find "$corpus" -name '*.md' | wc -l)
bytes=$(find "$corpus" -name '*.md' -print0 | xargs -0 cat | wc -c)

# elapsed seconds of a command (best of 3), its peak RSS in KiB in $work/rss
best() {
    b=""
    for i in 1 2 3; do
        [ -n "${PREP:-}" ] && sh -c "$PREP"
        /usr/bin/time -f "%e %M" -o "$work/t" sh -c "$1" > /dev/null 2>&1 || true
        read -r e m < "$work/t"
        if [ -z "$b" ] || [ "$(echo "$e < $b" | bc)" = 1 ]; then b=$e; echo "$m" > "$work/rss"; fi
    done
    echo "$b"
}
find "$corpus" -name '*.md' -print0 | xargs -0 cat > /dev/null    # warm the page cache
t_cat=$(PREP="" best "find '$corpus' -name '*.md' -print0 | xargs -0 cat > /dev/null")
t_full=$(PREP="rm -f '$work'/db*" best "./closeloop -q -d '$work/db' import '$corpus'")
rss_full=$(cat "$work/rss")
items=$(sqlite3 "$work/db" 'select count(*) from items')
t_re=$(PREP="" best "./closeloop -q -d '$work/db' import '$corpus'")
rss_re=$(cat "$work/rss")
ratio_full=$(echo "scale=2; $t_full / $t_cat" | bc)
ratio_re=$(echo "scale=2; $t_re / $t_cat" | bc)
echo "corpus:      $files files, $bytes bytes, $items items"
echo "cat:         ${t_cat}s"
echo "full import: ${t_full}s (${ratio_full} x cat; target <= 2), peak RSS ${rss_full} KiB"
echo "re-import:   ${t_re}s (${ratio_re} x cat; target <= 0.5), peak RSS ${rss_re} KiB"
ok=0
[ "$(echo "$t_full <= 2 * $t_cat" | bc)" = 1 ] || { echo "MISSED: full import"; ok=1; }
[ "$(echo "$t_re <= 0.5 * $t_cat" | bc)" = 1 ] || { echo "MISSED: re-import"; ok=1; }
[ "$rss_full" -le 65536 ] && [ "$rss_re" -le 65536 ] || { echo "MISSED: memory"; ok=1; }
sh bench/linear.sh || ok=1
[ $ok = 0 ] && echo "bench: all targets met"
exit $ok
