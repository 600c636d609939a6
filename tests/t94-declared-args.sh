#!/bin/sh
# Declared arguments: every command's --help and its parser come from one
# declaration (cmd/cmd.h struct cmd_entry), so they cannot disagree:
#  - each option the help lists is one the parser knows, taking an argument
#    exactly when the help shows one (checked without running anything:
#    a missing argument / an argument to a flag is a usage error);
#  - the usage line names the same options as the option list;
#  - sub-commands (drill schedule, config check) have their own help and
#    usage errors; operand counts are declared ("unexpected argument");
#  - usage errors come before the database is opened (none exists here).
. "$(dirname "$0")/lib.sh"
NODB="$T/none/closeloop.db"
printf '[closeloop]\ndatabase = %s\ntimezone = UTC\n' "$NODB" > "$T/config"
export CLOSELOOP_CONFIG="$T/config"

# every command and sub-command
"$CL" __complete commands > "$T/cmds" || fail "no command list"
: > "$T/all"
while read -r c; do
    case $c in
    drill) for s in list schedule reschedule cancel done propose; do echo "drill $s"; done ;;
    config) echo "config check" ;;
    *) echo "$c" ;;
    esac
done < "$T/cmds" >> "$T/all"
[ "$(wc -l < "$T/all")" -ge 20 ] || fail "too few commands: $(cat "$T/all")"

n=0
while read -r cmd; do
    # shellcheck disable=SC2086
    "$CL" help $cmd > "$T/help" 2>&1 || fail "help $cmd failed: $(cat "$T/help")"
    head -1 "$T/help" | grep -q "^usage: closeloop $cmd\( \|$\)" ||
        fail "help $cmd: first line is not its usage: $(head -1 "$T/help")"
    # the option list: lines "  --name ARG   help" or "  -x, --name   help"
    sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}--\([a-z-]*\)\( [A-Za-z|-]*\)\{0,1\}   *[^ ].*$/\2\3/p; s/^ *\(-[a-zA-Z], \)\{0,1\}--\([a-z-]*\)\( [A-Za-z|-]*\)\{0,1\}$/\2\3/p' \
        "$T/help" | sort -u > "$T/listed"
    # the options the usage line names
    head -1 "$T/help" | grep -o -- '--[a-z-]*' | sed 's/^--//' | sort -u > "$T/usage"
    cut -d' ' -f1 "$T/listed" | sort -u > "$T/names"
    cmp -s "$T/names" "$T/usage" || { echo "listed:"; cat "$T/names"; echo "usage:"; cat "$T/usage"; fail "help $cmd: usage and option list disagree"; }
    while read -r name arg; do
        n=$((n + 1))
        if [ -n "$arg" ]; then
            # shellcheck disable=SC2086
            "$CL" $cmd "--$name" > "$T/out" 2> "$T/err"; rc=$?
            [ $rc = 64 ] || fail "$cmd --$name (no argument): exit $rc, want 64: $(cat "$T/err")"
            expect_in "$T/err" "option '--$name' needs an argument"
        else
            # shellcheck disable=SC2086
            "$CL" $cmd "--$name=x" > "$T/out" 2> "$T/err"; rc=$?
            [ $rc = 64 ] || fail "$cmd --$name=x: exit $rc, want 64: $(cat "$T/err")"
            expect_in "$T/err" "option '--$name' takes no argument"
        fi
        expect_in "$T/err" "usage: closeloop $cmd"
    done < "$T/listed"
done < "$T/all"
# the global options the global help lists, before the command
expect_rc 0 "$CL" --help
sed -n '/^global options/,/^commands:/p' "$T/out" |
    sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}--\([a-z-]*\)\( [A-Z]*\)\{0,1\}   *[^ ].*$/\2\3/p' > "$T/listed"
[ "$(wc -l < "$T/listed")" = 7 ] || fail "global options listed: $(cat "$T/listed")"
while read -r name arg; do
    n=$((n + 1))
    if [ -n "$arg" ]; then
        expect_rc 64 "$CL" "--$name"
        expect_in "$T/err" "option '--$name' needs an argument"
    else
        expect_rc 64 "$CL" "--$name=x" list
        expect_in "$T/err" "option '--$name' takes no argument"
    fi
done < "$T/listed"
[ "$n" -ge 40 ] || fail "only $n options checked"
[ -e "$NODB" ] && fail "a usage error opened (created) the database"
echo "ok: $n options: help, usage line and parser agree"

# sub-commands: their own help, their own usage in errors
expect_rc 0 "$CL" drill schedule --help
[ "$(head -1 "$T/out")" = "usage: closeloop drill schedule POSTMORTEM|RUNBOOK --at TIME [--duration MIN] [--tz ZONE] [--attendee WHO]... [--every SPEC] [--send]" ] ||
    fail "drill schedule --help: $(head -1 "$T/out")"
expect_not_in "$T/out" "--rto"
expect_rc 0 "$CL" drill --help
expect_in "$T/out" "--rto MINUTES"
expect_in "$T/out" "Without --send"
expect_rc 0 "$CL" help drill done
expect_in "$T/out" "usage: closeloop drill done ID --result pass|fail"
expect_rc 64 "$CL" drill cancel 1 --at "2024-04-02 14:00"
expect_in "$T/err" "unknown option '--at'"
expect_in "$T/err" "usage: closeloop drill cancel ID [--send]"
expect_rc 64 "$CL" config check extra
expect_in "$T/err" "unexpected argument 'extra'"
expect_in "$T/err" "usage: closeloop config check"
echo "ok: sub-commands have their own help and usage"

# declared operand counts
expect_rc 64 "$CL" show
expect_in "$T/err" "name one item"
expect_rc 64 "$CL" show a b
expect_in "$T/err" "unexpected argument 'b'"
expect_rc 64 "$CL" list extra
expect_in "$T/err" "unexpected argument 'extra'"
expect_rc 64 "$CL" done
expect_in "$T/err" "name at least one item"
expect_rc 64 "$CL" drill done 1 2 --result pass
expect_in "$T/err" "unexpected argument '2'"
# help of a command without sub-commands, given one (once a segfault)
for c in list import show; do
    expect_rc 64 "$CL" help "$c" extra
    expect_in "$T/err" "'$c' has no sub-commands: unexpected argument 'extra'"
done
expect_rc 0 "$CL" help config check
head -n 1 "$T/out" | grep -q ' $' && fail "help config check: usage line ends in a space"
echo "ok: operand counts"

# usage errors before the database: none exists, each is still a 64
for c in "report --force" "report --team ops --send" "report --week 2024-12" \
         "report --format pdf" "lint --json" "drill done 1" "drill done x --result pass" \
         "drill done 1 --result maybe" "drill schedule pm" "drill reschedule 1" \
         "drill schedule pm --at 2024-04-02T14:00 --duration 0" \
         "drill reschedule 1 --at 2024-04-02T14:00 --duration 1441" "status --format csv" \
         "list --format html" "done --note '' x"; do
    # shellcheck disable=SC2086
    eval "\"\$CL\" $c" > "$T/out" 2> "$T/err"; rc=$?
    [ $rc = 64 ] || fail "'$c' without a database: exit $rc, want 64: $(cat "$T/err")"
done
expect_rc 64 "$CL" drill done 1 --result maybe
expect_in "$T/err" "--result 'maybe': use pass or fail"
expect_rc 64 "$CL" report --fo text
expect_in "$T/err" "option '--fo' is ambiguous, could be: --format, --force"
expect_rc 64 "$CL" -q --colr=never list
expect_in "$T/err" "unknown option '--colr=never' (did you mean '--color'?)"
expect_rc 64 "$CL" list --color=sometimes
expect_in "$T/err" "--color 'sometimes': use auto, always or never"
[ -e "$NODB" ] && fail "a usage error opened (created) the database"
# global options after a sub-command
expect_rc 66 "$CL" drill list -q
expect_in "$T/err" "closeloop init"
echo "ok: usage errors never depend on the database"
echo "t94: ok"
