#!/bin/sh
# make install into a DESTDIR: binary, man pages, contrib under share/;
# the installed binary runs; make uninstall removes it all.
. "$(dirname "$0")/lib.sh"
cd "$TOP"
D="$T/root"
make -s install DESTDIR="$D" PREFIX=/usr > "$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
for f in usr/bin/closeloop usr/share/man/man1/closeloop.1 usr/share/man/man5/closeloop.conf.5 \
         usr/share/closeloop/closeloop.conf.example usr/share/closeloop/crontab.example \
         usr/share/closeloop/systemd/closeloop.service usr/share/closeloop/systemd/closeloop.timer \
         usr/share/closeloop/completion/closeloop.bash usr/share/closeloop/completion/_closeloop \
         usr/share/closeloop/completion/closeloop.fish \
         usr/share/closeloop/examples/postmortems/2024-02-12-payments-pool.md \
         usr/share/closeloop/examples/runbooks/database-primary-down.md; do
    [ -f "$D/$f" ] || fail "not installed: $f"
done
[ -x "$D/usr/bin/closeloop" ] || fail "binary not executable"
[ ! -e "$D/usr/share/closeloop/install-deps.sh" ] || true
"$D/usr/bin/closeloop" --version | grep -q "^closeloop " || fail "installed binary does not run"
expect_rc 0 "$D/usr/bin/closeloop" -d "$T/db" import "$D/usr/share/closeloop/examples"
man -l "$D/usr/share/man/man1/closeloop.1" > /dev/null 2>&1 || command -v man > /dev/null || true
make -s uninstall DESTDIR="$D" PREFIX=/usr > /dev/null 2>&1 || fail "make uninstall"
left=$(find "$D" -type f | wc -l)
[ "$left" = 0 ] || { find "$D" -type f; fail "uninstall left $left files"; }
echo "t71-install: ok"
