# fish completion for closeloop — install it as
# /usr/share/fish/vendor_completions.d/closeloop.fish. Item ids, post-mortem
# ids, [people] names, zones, drill's sub-commands and the values of
# --format, --color and --result come from `closeloop __complete`.

# __closeloop_words WHAT: what closeloop offers, with -c/-d of the command line
function __closeloop_words
    set -l tokens (commandline -opc)
    set -l args
    set -l i 2
    while test $i -le (count $tokens)
        switch $tokens[$i]
            case -c --config -d --database
                set args $args $tokens[$i] $tokens[(math $i + 1)]
                set i (math $i + 1)
        end
        set i (math $i + 1)
    end
    $tokens[1] -q $args __complete $argv 2>/dev/null
end

# __closeloop_cmd: the command (first word that is not an option)
function __closeloop_cmd
    set -l tokens (commandline -opc)
    set -l skip 0
    for t in $tokens[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case -c --config -d --database --color
                set skip 1
            case '-*'
            case '*'
                echo $t
                return 0
        end
    end
    return 1
end

function __closeloop_using
    test (__closeloop_cmd) = "$argv[1]"
end

function __closeloop_drill_sub
    set -l tokens (commandline -opc)
    set -l seen 0
    for t in $tokens[2..-1]
        if test $seen = 1
            switch $t
                case '-*'
                case '*'
                    test $t = "$argv[1]"; and return 0
                    return 1
            end
        end
        test $t = drill; and set seen 1
    end
    return 1
end

for c in closeloop ./closeloop
    complete -c $c -f
    complete -c $c -s c -l config -r -F -d 'configuration file'
    complete -c $c -s d -l database -r -F -d 'database'
    complete -c $c -s q -l quiet -d 'only errors'
    complete -c $c -s v -l verbose -d 'say more'
    complete -c $c -l color -x -a '(__closeloop_words values color)' -d 'colours'
    complete -c $c -n 'not __closeloop_cmd' -x -a '(__closeloop_words commands)'
    complete -c $c -n '__closeloop_using import; or __closeloop_using lint' -F
    complete -c $c -n '__closeloop_using import' -l dry-run -l force
    complete -c $c -n '__closeloop_using list' -l open -l overdue -l all -l json -l exit-status
    complete -c $c -n '__closeloop_using list' -l format -x -a '(__closeloop_words values list format)'
    complete -c $c -n '__closeloop_using lint' -l items -l json
    complete -c $c -n '__closeloop_using list' -l owner -x -a '(__closeloop_words people)'
    complete -c $c -n '__closeloop_using list' -l postmortem -x -a '(__closeloop_words postmortems)'
    complete -c $c -n '__closeloop_using show' -x -a '(__closeloop_words all-items)'
    complete -c $c -n '__closeloop_using show; or __closeloop_using status' -l json
    complete -c $c -n '__closeloop_using status' -l format -x -a '(__closeloop_words values status format)'
    complete -c $c -n '__closeloop_using done' -x -a '(__closeloop_words items)'
    complete -c $c -n '__closeloop_using reopen' -x -a '(__closeloop_words all-items)'
    complete -c $c -n '__closeloop_using done; or __closeloop_using reopen' -l note -x
    complete -c $c -n '__closeloop_using forget' -x -a '(__closeloop_words postmortems)'
    complete -c $c -n '__closeloop_using sync; or __closeloop_using run' -l dry-run
    complete -c $c -n '__closeloop_using report' -l week -x
    complete -c $c -n '__closeloop_using report' -l format -x -a '(__closeloop_words values report format)'
    complete -c $c -n '__closeloop_using report' -l name -x -d 'the report of [report "NAME"]'
    complete -c $c -n '__closeloop_using report' -l team -x -d 'one team'
    complete -c $c -n '__closeloop_using report; or __closeloop_using nag' -l send
    complete -c $c -n '__closeloop_using report' -l force
    complete -c $c -n '__closeloop_using init' -l config -r -F
    complete -c $c -n '__closeloop_using config' -x -a '(__closeloop_words subcommands config)'
    complete -c $c -n '__closeloop_using help' -x -a '(__closeloop_words commands)'
    complete -c $c -n '__closeloop_using drill; and not __closeloop_drill_sub list; and not __closeloop_drill_sub schedule; and not __closeloop_drill_sub reschedule; and not __closeloop_drill_sub cancel; and not __closeloop_drill_sub done; and not __closeloop_drill_sub propose' -x -a '(__closeloop_words subcommands drill)'
    complete -c $c -n '__closeloop_drill_sub list' -l json
    complete -c $c -n '__closeloop_drill_sub list' -l postmortem -x -a '(__closeloop_words postmortems)'
    complete -c $c -n '__closeloop_drill_sub schedule' -x -a '(__closeloop_words postmortems)'
    complete -c $c -n '__closeloop_drill_sub schedule; or __closeloop_drill_sub reschedule' -l at -x
    complete -c $c -n '__closeloop_drill_sub schedule; or __closeloop_drill_sub reschedule' -l duration -x
    complete -c $c -n '__closeloop_drill_sub schedule; or __closeloop_drill_sub reschedule' -l tz -x -a '(__closeloop_words zones)'
    complete -c $c -n '__closeloop_drill_sub schedule' -l attendee -x -a '(__closeloop_words people)'
    complete -c $c -n '__closeloop_drill_sub schedule' -l every -x -a '(__closeloop_words every)'
    complete -c $c -n '__closeloop_drill_sub reschedule; or __closeloop_drill_sub cancel; or __closeloop_drill_sub done' -x -a '(__closeloop_words drills)'
    complete -c $c -n '__closeloop_drill_sub done' -l result -x -a '(__closeloop_words values drill done result)'
    complete -c $c -n '__closeloop_drill_sub done' -l rto -x
    complete -c $c -n '__closeloop_drill_sub done' -l notes -x
    complete -c $c -n '__closeloop_drill_sub schedule; or __closeloop_drill_sub reschedule; or __closeloop_drill_sub cancel; or __closeloop_drill_sub propose' -l send
end
