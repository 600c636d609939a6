#!/bin/sh
# Import cost with a large [people] (issue 16 low): the bench corpus with
# 0 and with PEOPLE (default 8,000) entries in [people]; median of RUNS
# (default 5) full imports each, `cat` of the corpus in the same run.
#   sh bench/people.sh            (./closeloop, bench/corpus-10000)
#   CL=/path/to/closeloop PEOPLE=8000 RUNS=5 sh bench/people.sh
set -eu
cd "$(dirname "$0")/.."
CL=${CL:-./closeloop}
PEOPLE=${PEOPLE:-8000}
RUNS=${RUNS:-5}
corpus=${CORPUS:-bench/corpus-10000}
work=$(mktemp -d /tmp/clpeople.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ ! -f "$corpus/.done" ]; then
    rm -rf "$corpus"
    /usr/bin/python3 bench/gen-corpus.py "$corpus" 10000
    touch "$corpus/.done"
fi
: > "$work/none.conf"
/usr/bin/python3 - "$PEOPLE" > "$work/people.conf" <<'PY'
import sys
print("[people]")
for i in range(int(sys.argv[1])):
    print(f"person{i} = Person {i} <person{i}@example.com>")
    print(f"person{i}.tracker = gh-person{i}")
PY
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# runs CMD: median elapsed seconds of RUNS runs
runs() {
    i=0
    while [ $i -lt "$RUNS" ]; do
        rm -f "$work"/db*
        /usr/bin/time -f "%e" -o "$work/t" sh -c "$1" > /dev/null 2>&1 || true
        cat "$work/t"
        i=$((i + 1))
    done | median
}
find "$corpus/" -name '*.md' -print0 | xargs -0 cat > /dev/null
t_cat=$(runs "find '$corpus/' -name '*.md' -print0 | xargs -0 cat")
t_none=$(runs "'$CL' -q -c '$work/none.conf' -d '$work/db' import '$corpus'")
t_people=$(runs "'$CL' -q -c '$work/people.conf' -d '$work/db' import '$corpus'")
echo "cat:                      ${t_cat}s"
echo "import, no [people]:      ${t_none}s"
echo "import, $PEOPLE people:     ${t_people}s"
