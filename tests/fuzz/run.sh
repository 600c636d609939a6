#!/bin/sh
# Runs each fuzzer for SECONDS on a copy of its seed corpus (tests/fuzz/corpus/NAME)
# plus the regression inputs (tests/fuzz/regress/NAME). Fails on any crash.
set -u
secs=$1; shift
status=0
for bin in "$@"; do
    name=$(basename "$bin" | sed 's/^fuzz_//')
    work=build/fuzz/corpus-$name
    mkdir -p "$work"
    cp tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
    [ -d tests/fuzz/regress/"$name" ] && cp tests/fuzz/regress/"$name"/* "$work"/
    # the parser gets inputs up to 1 MiB, tried at full length from the
    # start (-len_control=0): quadratic steps only show on large inputs,
    # and -timeout turns one into a failure (issue 16, high 2)
    len="-max_len=65536"
    [ "$name" = parse ] && len="-max_len=1048576 -len_control=0"
    echo "fuzz: $name for ${secs}s ($len)"
    # shellcheck disable=SC2086
    if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 $len \
        -artifact_prefix=build/fuzz/"$name"- -print_final_stats=1 "$work" \
        > build/fuzz/"$name".log 2>&1; then
        echo "fuzz: $name FAILED; see build/fuzz/$name.log"; tail -n 30 build/fuzz/"$name".log
        status=1
    else
        grep -E "stat::number_of_executed_units|cov:" build/fuzz/"$name".log | tail -n 2
    fi
done
exit $status
