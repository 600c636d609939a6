# bash completion for closeloop — source it, or install it as
# /usr/share/bash-completion/completions/closeloop
# Item ids, post-mortem and runbook ids, drill ids, [people] names, time
# zones and the --every forms come from
# `closeloop __complete`, which reads the database and the config named on
# the command line (-c, -d) or the default ones, and never writes; each
# command's options, their values and drill's sub-commands come from the
# same place (`__complete options CMD [SUB]`, `values CMD [SUB] NAME`,
# `subcommands CMD`), that is from the command table itself.

# _closeloop_words WHAT [ARG...]: the words closeloop offers for WHAT
_closeloop_words()
{
    local bin=${words[0]} i args=()
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            -c|--config|-d|--database) args+=("${words[i]}" "${words[i+1]}"); ((i++)) ;;
            --config=*|--database=*) args+=("${words[i]}") ;;
        esac
    done
    # a "./closeloop" or "~/bin/closeloop" typed as such
    bin=${bin/#\~/$HOME}
    "$bin" -q "${args[@]}" __complete "$@" 2>/dev/null
}

_closeloop()
{
    local cur prev words cword cmd sub i
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -n = || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
    fi
    local global="-c --config -d --database -q --quiet -v --verbose --color -h --help -V --version" vals
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            -c|--config|-d|--database|--color) ((i++)) ;;
            -*) ;;
            *) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi ;;
        esac
    done
    case $prev in
        -c|--config|-d|--database|--config=*|--database=*)
            compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --every)
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$(_closeloop_words every)" -- "$cur"))
            COMPREPLY=("${COMPREPLY[@]// /\\ }"); return ;;
        --tz) COMPREPLY=($(compgen -W "$(_closeloop_words zones)" -- "$cur")); return ;;
        --owner|--attendee) COMPREPLY=($(compgen -W "$(_closeloop_words people)" -- "$cur")); return ;;
        --postmortem|-p) COMPREPLY=($(compgen -W "$(_closeloop_words postmortems)" -- "$cur")); return ;;
        --week|--at|--duration|--rto|--notes|--note) return ;;
        --?*)
            # an option with a fixed set of values (--format, --color, --result...)
            vals=$(_closeloop_words values ${cmd:+"$cmd"} $sub "${prev#--}")
            if [[ -n $vals ]]; then COMPREPLY=($(compgen -W "$vals" -- "$cur")); return; fi ;;
    esac
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$(_closeloop_words commands) $global" -- "$cur"))
        return
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_closeloop_words options "$cmd" $sub)" -- "$cur"))
        return
    fi
    case $cmd in
        import|lint) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
        show) COMPREPLY=($(compgen -W "$(_closeloop_words all-items)" -- "$cur")) ;;
        done) COMPREPLY=($(compgen -W "$(_closeloop_words items)" -- "$cur")) ;;
        reopen) COMPREPLY=($(compgen -W "$(_closeloop_words all-items)" -- "$cur")) ;;
        forget) COMPREPLY=($(compgen -W "$(_closeloop_words postmortems)" -- "$cur")) ;;
        config) COMPREPLY=($(compgen -W "$(_closeloop_words subcommands config)" -- "$cur")) ;;
        help) COMPREPLY=($(compgen -W "$(_closeloop_words commands)" -- "$cur")) ;;
        drill)
            if [[ -z $sub ]]; then
                COMPREPLY=($(compgen -W "$(_closeloop_words subcommands drill)" -- "$cur"))
            elif [[ $sub == schedule ]]; then
                COMPREPLY=($(compgen -W "$(_closeloop_words postmortems)" -- "$cur"))
            elif [[ $sub == reschedule || $sub == cancel || $sub == done ]]; then
                COMPREPLY=($(compgen -W "$(_closeloop_words drills)" -- "$cur"))
            fi ;;
    esac
}
complete -F _closeloop closeloop ./closeloop
