#!/bin/sh
# Re-import cost (issue 16 medium 3): a 5,000-item document whose actions
# share a 3 KB prefix; first import, re-import with every action edited,
# then CYCLES times "shrink to 1 item, then 5,000 new items" (withdrawn rows
# pile up). Prints seconds and peak RSS per step.
#   sh bench/reimport.sh            (./closeloop)
#   CL=/path/to/closeloop CYCLES=4 ITEMS=5000 sh bench/reimport.sh
set -eu
cd "$(dirname "$0")/.."
CL=${CL:-./closeloop}
ITEMS=${ITEMS:-5000}
CYCLES=${CYCLES:-3}
work=$(mktemp -d /tmp/clreimport.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "reimport: needs /usr/bin/time"; exit 1; }
mkdir "$work/pm"
# gen TAG N: the document with N rows, actions "<3 KB prefix> TAG i"
gen() {
    /usr/bin/python3 - "$1" "$2" > "$work/pm/big.md" <<'PY'
import sys
tag, n = sys.argv[1], int(sys.argv[2])
prefix = ("Make the failover path safer by checking every replica " * 60)[:3000]
print("# Post-Mortem: Big document - 2024-03-04\n\n## Action items\n")
print("| Action | Owner | Due |\n|---|---|---|")
for i in range(n):
    print(f"| {prefix} {tag} {i} | @ann | 2024-04-01 |")
PY
    # settled (not modified in the last seconds): a real edit, not a file
    # caught half written
    touch -d '-1 minute' "$work/pm/big.md"
}
step() {
    /usr/bin/time -f "%e %M" -o "$work/t" "$CL" -q -d "$work/db" import "$work/pm" >/dev/null 2>&1 || true
    read -r e m < "$work/t"
    printf "%-34s %7ss  %6d KiB\n" "$1" "$e" "$m"
}
gen first "$ITEMS"; step "first import ($ITEMS items)"
gen edited "$ITEMS"; step "re-import, every action edited"
c=1
while [ "$c" -le "$CYCLES" ]; do
    gen "shrink$c" 1; step "cycle $c: shrink to 1"
    gen "new$c" "$ITEMS"; step "cycle $c: $ITEMS new items"
    c=$((c + 1))
done
echo "withdrawn rows: $(sqlite3 "$work/db" "select count(*) from items where status = 'withdrawn'"), database $(du -k "$work/db" | cut -f1) KiB"
