#!/bin/sh
# gen-pm.sh DIR NDOCS PER_DOC: writes NDOCS post-mortems with PER_DOC open
# action items each (own synthetic text) for the sync tests and benchmark.
set -eu
dir=$1; ndocs=$2; per=$3
mkdir -p "$dir"
d=1
while [ $d -le "$ndocs" ]; do
    {
        printf '# Synthetic incident %d - 2024-01-%02d\n\n## Action items\n\n' "$d" $((d % 28 + 1))
        printf '| Action | Owner | Due |\n|--------|-------|-----|\n'
        i=1
        while [ $i -le "$per" ]; do
            printf '| Harden component %d of service %d | alice | 2024-06-%02d |\n' "$i" "$d" $((i % 28 + 1))
            i=$((i + 1))
        done
    } > "$dir/inc-$d.md"
    d=$((d + 1))
done
