#!/bin/sh
# The shell completions offer what the database and the config hold: item
# ids, post-mortem ids, [people] names, time zones; file names with -o
# filenames; every --every form; ./closeloop as well as closeloop. bash is
# driven through its completion function; fish through `complete -C`; zsh's
# script is syntax-checked (zsh -n). `closeloop __complete` is the source.
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
CFG
printf '# Queue backlog - 2024-03-11\n\nWritten: 2024-03-12\n\n## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n| Alert on depth | amara | 2024-04-01 |\n| Add a DLQ | jonas | 2024-04-02 |\n' > "$T/pm/queue-backlog.md"
export CLOSELOOP_CONFIG="$T/config"
expect_rc 0 "$CL" init
expect_rc 0 "$CL" import "$T/pm"
ID=$("$CL" list --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
PM=${ID%.*}

# the source of the words
expect_rc 0 "$CL" __complete items
expect_in "$T/out" "$ID"
expect_rc 0 "$CL" __complete postmortems
[ "$(cat "$T/out")" = "$PM" ] || fail "post-mortems: $(cat "$T/out")"
expect_rc 0 "$CL" __complete people
expect_in "$T/out" "amara"
expect_rc 0 "$CL" __complete zones
expect_in "$T/out" "Europe/Berlin"
expect_in "$T/out" "America/New_York"
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
# ./closeloop is registered too, and finds its own binary
cd "$TOP"
comp ./closeloop show ""
expect_in "$T/comp" "$ID"
expect_not_in "$T/comp" "NOT REGISTERED"
bash -c ". contrib/completion/closeloop.bash; complete -p closeloop; complete -p ./closeloop" > "$T/spec" 2>&1 ||
    { cat "$T/spec"; fail "not registered for closeloop and ./closeloop"; }
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
    echo "ok: fish completes ids, people, zones"
else
    fail "fish is not installed (contrib/install-deps.sh --test)"
fi
if command -v zsh > /dev/null; then
    zsh -n "$TOP/contrib/completion/_closeloop" || fail "zsh: syntax"
    head -1 "$TOP/contrib/completion/_closeloop" | grep -q '^#compdef closeloop ./closeloop' ||
        fail "zsh: not registered for closeloop and ./closeloop"
    echo "ok: zsh completion parses"
else
    fail "zsh is not installed (contrib/install-deps.sh --test)"
fi
echo "t90: ok"
