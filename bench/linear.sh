#!/bin/sh
# bench/linear.sh: parse time must grow linearly with the document (issue 16,
# high 2). For each shape that once made a parse step quadratic, `closeloop
# lint` reads a document of N and of 8N bytes; the ratio of the times (best
# of 3) must stay under 24 (8 when linear, 64 when quadratic). A ratio, not
# a wall-clock limit: the same on a slow machine. BENCH_LINEAR_KB=N sets N
# (default 256 KiB).
set -eu
cd "$(dirname "$0")/.."
kb=${BENCH_LINEAR_KB:-256}
work=$(mktemp -d /tmp/cllinear.XXXXXX)
trap 'rm -rf "$work"' EXIT
status=0

# doc FILE HEAD UNIT TAIL BYTES: HEAD, UNIT repeated to BYTES, TAIL
doc() {
    /usr/bin/python3 -c 'import sys
head, unit, tail, n = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
open(sys.argv[1], "w").write(head + unit * (n // len(unit)) + tail)' "$@"
}
best() {
    b=""
    for i in 1 2 3; do
        /usr/bin/time -f "%U %S" -o "$work/t" ./closeloop -q lint "$1" > /dev/null 2>&1 || true
        t=$(tail -n 1 "$work/t" | awk '{ print $1 + $2 }')
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}
check() {
    name=$1; shift
    doc "$work/small.md" "$@" $((kb * 1024))
    doc "$work/big.md" "$@" $((kb * 8 * 1024))
    s=$(best "$work/small.md"); b=$(best "$work/big.md")
    # below 10 ms the clock says nothing: count it as 10 ms
    r=$(/usr/bin/python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) / max(float(sys.argv[1]), 0.01)))' "$s" "$b")
    echo "linear: $name: ${kb} KiB ${s}s, $((kb * 8)) KiB ${b}s, ratio $r"
    [ "$(echo "$r < 24" | bc)" = 1 ] || { echo "MISSED: $name grows faster than the input"; status=1; }
}
check task-dash "# T

## Action items

- [ ] x" " - a" "
"
check task-emdash "# T

## Action items

- [ ] x" " — a" "
"
check date-digits "# T

## Date

" "1234567890" "
"
check bullet-by "# T

## Action items

- fix" " by a" "
"
check prose-marker "# T

Action item: x" " due soon (a" ")
"
check table-cell "# T

| Action | Owner |
|-|-|
| a" " — @b" " | c |
"
[ $status = 0 ] && echo "linear: all shapes linear"
exit $status
