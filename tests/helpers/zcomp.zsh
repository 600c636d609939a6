# zcomp.zsh FPATHDIR OUTFILE LINE: the words zsh's completion offers for
# LINE (the cursor at its end), one per line in OUTFILE. An interactive zsh
# in a pseudo-terminal runs compinit with FPATHDIR first in $fpath; a
# compadd wrapper appends every match a completion function adds; "print
# DONE" typed after the TAB marks the end (the shell reads its input in
# order). Bounded: 10 s at most.
zmodload zsh/zpty || exit 2
dir=$1 out=$2 line=$3
: > "$out"
zpty z zsh -f -i
zpty -w z "unsetopt autolist listambiguous; setopt nobeep; fpath=($dir \$fpath); autoload -Uz compinit; compinit -u -D"
# calls with -O, -A or -D only filter or collect: passed through untouched
zpty -w z "compadd() { if [[ \${(j: :)@} == *-[OAD]\\ * ]]; then builtin compadd \"\$@\"; return; fi; local -a m; builtin compadd -A m \"\$@\"; (( \$#m )) && print -rl -- \$m >> $out; builtin compadd \"\$@\"; }"
zpty -w z "PS1=READY'>'"
zpty -r z junk '*READY>*'
zpty -n -w z "$line"$'\t'
zpty -w z $'\x15'"print DONE >> $out"
i=0
while (( i++ < 200 )); do
    zpty -r -t z junk 2>/dev/null
    grep -qx DONE "$out" && break
    sleep 0.05
done
zpty -d z
grep -qx DONE "$out" || { print -u2 "zcomp: zsh did not answer for '$line'"; exit 1; }
sed -i '/^DONE$/d' "$out"
