#!/bin/sh
# The shell completions offer what the database and the config hold: item
# ids, post-mortem ids, [people] names, time zones; file names with -o
# filenames; every --every form; ./closeloop as well as closeloop. bash is
# driven through its completion function; fish through `complete -C`; zsh
# through a real interactive zsh in a pseudo-terminal (tests/helpers/
# zcomp.zsh). `closeloop __complete` is the source of the words.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/pm"
cat > "$T/config" <<CFG
[closeloop]
database = $T/closeloop.db
timezone = Europe/Berlin
today = 2024-03-20

[people]
amara = Amara Okafor <amara@example.com>
jonas = Jonas Berg <jonas@example.com>

[drill]
organizer = SRE <sre@example.com>
CFG
printf '# Queue backlog - 2024-03-11\n\nWritten: 2024-03-12\n\n## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n| Alert on depth | amara | 2024-04-01 |\n| Add a DLQ | jonas | 2024-04-02 |\n' > "$T/pm/queue-backlog.md"
printf '# DNS resolver - 2024-03-04\n\nWritten: 2024-03-05\n\n## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n| Cache negative answers | amara | 2024-04-01 |\n| Add a second resolver | jonas | 2024-04-02 |\n' > "$T/pm/dns-resolver.md"
mkdir -p "$T/pm/runbooks"
printf '# Primary Down Runbook\n\n**RTO target:** 30 minutes\n**Owner:** @amara\n\n## Steps\n\n1. Promote the replica\n' > "$T/pm/runbooks/primary-down.md"
export CLOSELOOP_CONFIG="$T/config"
expect_rc 0 "$CL" init
expect_rc 0 "$CL" import "$T/pm"
ID=$("$CL" list --json | $PY -c 'import json,sys; print([i["id"] for i in json.load(sys.stdin)["items"] if "queue" in i["id"]][0])')
PM=${ID%.*}

# the source of the words
expect_rc 0 "$CL" __complete items
expect_in "$T/out" "$ID"
expect_rc 0 "$CL" __complete postmortems
expect_in "$T/out" "$PM"
expect_in "$T/out" "dns-resolver"
[ "$(sort -u "$T/out" | wc -l)" = "$(wc -l < "$T/out")" ] || fail "post-mortems twice: $(cat "$T/out")"
grep -q "primary-down" "$T/out" || fail "no runbook among the post-mortems: $(cat "$T/out")"
RB=$(grep "primary-down" "$T/out")
expect_rc 0 "$CL" __complete people
expect_in "$T/out" "amara"
expect_rc 0 "$CL" __complete zones
expect_in "$T/out" "Europe/Berlin"
expect_in "$T/out" "America/New_York"
[ "$(sort "$T/out" | uniq -d)" = "" ] || fail "zones twice: $(sort "$T/out" | uniq -d)"
# every --every form the completion offers is one drill schedule takes, and
# each unit is offered alone and with a number
expect_rc 0 "$CL" __complete every
cp "$T/out" "$T/every"
for u in week month quarter; do
    grep -qx "$u" "$T/every" || fail "--every: no '$u'"
    grep -qx "[0-9]* ${u}s" "$T/every" || fail "--every: no 'N ${u}s'"
done
while read -r form; do
    expect_rc 0 "$CL" drill schedule "$PM" --at "2024-04-02 14:00" --attendee a@example.com --every "$form"
    expect_in "$T/out" "RRULE:FREQ="
done < "$T/every"
expect_rc 0 "$CL" drill schedule "$PM" --at "2024-04-02 14:00" --attendee a@example.com
"$CL" drill schedule "$PM" --at "2024-04-09 14:00" --attendee a@example.com --every "2 weeks" > /dev/null 2>&1
[ -z "$("$CL" __complete drills)" ] || fail "a drill was stored by a dry run"
expect_rc 0 "$CL" __complete commands
expect_in "$T/out" "config"
expect_not_in "$T/out" "__complete"
expect_rc 0 "$CL" --help
expect_not_in "$T/out" "__complete"
# no database yet: nothing offered, nothing created
expect_rc 0 "$CL" -d "$T/none.db" __complete items
[ -e "$T/none.db" ] && fail "__complete created a database"

# bash: COMPREPLY for a command line
comp() {
    bash -c '
        . "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        spec=$(complete -p "$1")
        compopt() { echo "COMPOPT $*"; }
        _closeloop "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"
        case $spec in *-F\ _closeloop*) ;; *) echo "NOT REGISTERED: $spec" ;; esac
    ' comp "$TOP/contrib/completion/closeloop.bash" "$@" > "$T/comp" 2>&1
}
comp "$CL" show ""
expect_in "$T/comp" "$ID"
comp "$CL" done ""
expect_in "$T/comp" "$ID"
comp "$CL" list --owner a
expect_in "$T/comp" "amara"
expect_not_in "$T/comp" "jonas"
comp "$CL" list --postmortem ""
expect_in "$T/comp" "$PM"
comp "$CL" drill schedule "$PM" --tz Europe/Be
expect_in "$T/comp" "Europe/Berlin"
comp "$CL" drill schedule "$PM" --every ""
expect_in "$T/comp" "week"
expect_in "$T/comp" "quarter"
expect_in "$T/comp" '2\ weeks'
comp "$CL" drill schedule ""
expect_in "$T/comp" "$PM"
comp "$CL" li
grep -q "^list$" "$T/comp" || { cat "$T/comp"; fail "no command completion"; }
comp "$CL" -c "$T/config" sho
expect_in "$T/comp" "show"
comp "$CL" import "$T/p"
expect_in "$T/comp" "$T/pm"
expect_in "$T/comp" "COMPOPT -o filenames"
comp "$CL" -c "$T/c"
expect_in "$T/comp" "$T/config"
expect_in "$T/comp" "COMPOPT -o filenames"
comp "$CL" show ""
expect_not_in "$T/comp" "COMPOPT"
comp "$CL" drill schedule ""
expect_in "$T/comp" "$RB"
comp "$CL" drill schedule "$PM" --every 3
expect_in "$T/comp" '3\ months'
comp "$CL" drill schedule "$PM" --attendee j
expect_in "$T/comp" "jonas"
comp "$CL" list --owner a -q --postmortem d
expect_in "$T/comp" "dns-resolver"
# ./closeloop is registered too, and finds its own binary
cd "$TOP"
comp ./closeloop show ""
expect_in "$T/comp" "$ID"
expect_not_in "$T/comp" "NOT REGISTERED"
bash -c ". contrib/completion/closeloop.bash; complete -p closeloop; complete -p ./closeloop" > "$T/spec" 2>&1 ||
    { cat "$T/spec"; fail "not registered for closeloop and ./closeloop"; }
# options, their values and sub-commands come from the command table: for
# every command (and drill's sub-commands) bash offers exactly the long
# options its --help lists and the global ones of 'closeloop --help'
opts_of() { grep -E '^ +(-[a-zA-Z], )?--[a-z]' | sed -E 's/^ +(-[a-zA-Z], )?(--[a-z][a-z-]*).*/\2/'; }
"$CL" --help | opts_of > "$T/global"
for c in $("$CL" __complete commands) "drill list" "drill schedule" "drill reschedule" \
         "drill cancel" "drill done" "drill propose" "config check"; do
    [ "$c" = drill ] || [ "$c" = help ] && continue
    "$CL" help $c | opts_of | cat - "$T/global" |
        grep -v -e '^--help$' -e '^--version$' | sort -u > "$T/want"
    comp "$CL" $c --
    grep -- '^--' "$T/comp" | sort -u > "$T/got"
    cmp -s "$T/want" "$T/got" || { diff "$T/want" "$T/got"; fail "bash: '$c --' offers other options than its --help"; }
    # zsh and fish name each of them too, on the command's own lines (zsh:
    # its case branch; fish: the lines whose condition names it)
    w=${c#* }
    awk -v w="$w" '$1 ~ "^(" w "\\|[a-z|]*|[a-z|]*\\|" w "|" w ")\\)$" { on = 1 }
                   on { print } on && /;;/ { on = 0 }' "$TOP/contrib/completion/_closeloop" > "$T/zsh-$w"
    case $c in drill\ *) cond="__closeloop_drill_sub $w" ;; *) cond="__closeloop_using $w" ;; esac
    grep -e "$cond\b" "$TOP/contrib/completion/closeloop.fish" > "$T/fish-$w" || true
    for o in $(cat "$T/want"); do
        case $o in --config|--database|--quiet|--verbose|--color) continue ;; esac
        grep -q -e "$o\b" "$T/zsh-$w" || fail "zsh: no $o for $c"
        grep -q -e "-l ${o#--}\b" "$T/fish-$w" || fail "fish: no $o for $c"
    done
done
comp "$CL" report --format ""
for v in text markdown html json csv; do grep -qx "$v" "$T/comp" || fail "bash: report --format: no $v"; done
comp "$CL" list --format ""
expect_not_in "$T/comp" "markdown"
comp "$CL" drill done 1 --result ""
grep -qx pass "$T/comp" && grep -qx fail "$T/comp" || { cat "$T/comp"; fail "bash: --result values"; }
comp "$CL" --color ""
grep -qx never "$T/comp" || { cat "$T/comp"; fail "bash: --color values"; }
comp "$CL" drill ""
grep -qx propose "$T/comp" || { cat "$T/comp"; fail "bash: drill sub-commands"; }
expect_rc 0 "$CL" __complete values drill done result
expect_in "$T/out" "pass"
expect_rc 64 "$CL" __complete items import
echo "ok: bash completes ids, post-mortems, people, zones, --every forms, files, ./closeloop"

# fish: complete -C with the script loaded
if command -v fish > /dev/null; then
    fish -n "$TOP/contrib/completion/closeloop.fish" || fail "fish: syntax"
    fc() { fish -c "source $TOP/contrib/completion/closeloop.fish; complete -C '$1'" > "$T/comp" 2>&1; }
    fc "$CL show "
    expect_in "$T/comp" "$ID"
    fc "$CL list --owner "
    expect_in "$T/comp" "amara"
    fc "$CL drill schedule $PM --tz Europe/Be"
    expect_in "$T/comp" "Europe/Berlin"
    fc "./closeloop done "
    expect_in "$T/comp" "$ID"
    fc "$CL drill schedule $PM --every "
    expect_in "$T/comp" "2 weeks"
    fc "$CL drill schedule "
    expect_in "$T/comp" "$RB"
    fc "$CL report --format "
    expect_in "$T/comp" "markdown"
    fc "$CL drill done 1 --result "
    expect_in "$T/comp" "pass"
    fc "$CL drill "
    expect_in "$T/comp" "propose"
    fc "$CL config "
    expect_in "$T/comp" "check"
    echo "ok: fish completes ids, people, zones, option values and sub-commands from the command table"
else
    fail "fish is not installed (contrib/install-deps.sh --test)"
fi
if command -v zsh > /dev/null; then
    zsh -n "$TOP/contrib/completion/_closeloop" || fail "zsh: syntax"
    head -1 "$TOP/contrib/completion/_closeloop" | grep -q '^#compdef closeloop ./closeloop' ||
        fail "zsh: not registered for closeloop and ./closeloop"
    # zc LINE: what an interactive zsh offers for LINE, in $T/comp
    mkdir -p "$T/bin"; ln -sf "$CL" "$T/bin/closeloop"
    zc() {
        PATH="$T/bin:$PATH" timeout 20 zsh -f "$TOP/tests/helpers/zcomp.zsh" \
            "$TOP/contrib/completion" "$T/comp" "$1" || fail "zsh: no answer for '$1'"
    }
    zc "closeloop li"
    grep -qx list "$T/comp" || { cat "$T/comp"; fail "zsh: no command completion"; }
    zc "closeloop show "
    expect_in "$T/comp" "$ID"
    zc "closeloop done "
    expect_in "$T/comp" "$ID"
    zc "closeloop list --owner a"
    expect_in "$T/comp" "amara"
    expect_not_in "$T/comp" "jonas"
    zc "closeloop list -q --postmortem "
    expect_in "$T/comp" "$PM"
    zc "closeloop forget "
    expect_in "$T/comp" "$PM"
    zc "closeloop drill "
    expect_in "$T/comp" "schedule"
    zc "closeloop drill schedule "
    expect_in "$T/comp" "$RB"
    zc "closeloop drill schedule $PM --tz Europe/Be"
    expect_in "$T/comp" "Europe/Berlin"
    zc "closeloop drill schedule $PM --every "
    expect_in "$T/comp" "quarter"
    expect_in "$T/comp" '2\ weeks'
    zc "closeloop -c $T/config show "
    expect_in "$T/comp" "$ID"
    zc "closeloop import $T/p"
    expect_in "$T/comp" "pm"
    zc "closeloop report --format "
    expect_in "$T/comp" "markdown"
    zc "closeloop drill done 1 --result "
    expect_in "$T/comp" "pass"
    zc "closeloop config "
    expect_in "$T/comp" "check"
    zc "closeloop --color "
    expect_in "$T/comp" "never"
    cd "$TOP"
    zc "./closeloop done "
    expect_in "$T/comp" "$ID"
    echo "ok: zsh completes commands, ids, post-mortems, runbooks, people, zones, --every forms, files, ./closeloop"
else
    fail "zsh is not installed (contrib/install-deps.sh --test)"
fi
echo "t90: ok"
