# bash completion for closeloop — source it, or install it as
# /usr/share/bash-completion/completions/closeloop
_closeloop()
{
    local cur prev words cword cmd i
    _init_completion 2>/dev/null || {
        cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
    }
    local commands="init import lint list show done reopen sync report nag drill run status help"
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            -c|--config|-d|--database) ((i++)) ;;
            -*) ;;
            *) cmd=${words[i]}; break ;;
        esac
    done
    case $prev in
        -c|--config|-d|--database) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "text markdown html json" -- "$cur")); return ;;
        --result) COMPREPLY=($(compgen -W "pass fail" -- "$cur")); return ;;
        --every) COMPREPLY=($(compgen -W "quarter month" -- "$cur")); return ;;
    esac
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$commands -c --config -d --database -q --quiet -v --verbose -h --help -V --version" -- "$cur"))
        return
    fi
    case $cmd in
        import) COMPREPLY=($(compgen -W "--dry-run --force" -- "$cur") $(compgen -f -- "$cur")) ;;
        lint) COMPREPLY=($(compgen -f -- "$cur")) ;;
        list) COMPREPLY=($(compgen -W "--open --overdue --all --owner --postmortem --json --exit-status" -- "$cur")) ;;
        show) COMPREPLY=($(compgen -W "--json" -- "$cur")) ;;
        sync|run) COMPREPLY=($(compgen -W "--dry-run" -- "$cur")) ;;
        report) COMPREPLY=($(compgen -W "--week --format --send --force" -- "$cur")) ;;
        nag) COMPREPLY=($(compgen -W "--send" -- "$cur")) ;;
        status) COMPREPLY=($(compgen -W "--json" -- "$cur")) ;;
        init) COMPREPLY=($(compgen -W "--config" -- "$cur")) ;;
        drill) COMPREPLY=($(compgen -W "list schedule reschedule cancel done propose --at --duration --tz --attendee --every --send --result --rto --notes --json" -- "$cur")) ;;
        help) COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
    esac
}
complete -F _closeloop closeloop
