#!/bin/sh
# Mail threats of docs/security.md, each through the real binary:
#  1. a symlink planted in a shared outbox (under the name of the next
#     message or its temporary file) is never written through;
#  2. an RFC 2047 encoded word in a post-mortem title stays literal text in
#     the drill Subject (Python's email decodes no Bcc out of it);
#  3. drill invites go only to people in [people]: an owner or author
#     written as a bare address in a document is not invited; --attendee
#     on the command line may still name any address.
. "$(dirname "$0")/lib.sh"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
mkdir -p "$T/pm"
cat > "$T/pm/q.md" <<'DOC'
# Post-mortem: =?utf-8?b?SGVsbG8NCkJjYzogZXZpbEBldmlsLmV4YW1wbGU=?=

**Date:** 2024-03-06
**Authors:** @lena, mallory@attacker.example

## Action items

| Action | Owner | Due |
|--------|-------|-----|
| Add a consumer lag alert | @lena | 2024-03-12 |
| Rotate the broker credentials | evil@attacker.example | 2024-03-15 |
DOC
cat > "$T/conf" <<CONF
[closeloop]
timezone = Europe/Berlin
[people]
lena = Lena Nov <lena@example.com>
[mail]
transport = file
outbox = $T/outbox
from = closeloop <closeloop@example.com>
[report]
to = ops@example.com
[drill]
organizer = SRE <sre@example.com>
CONF
C="$CL -c $T/conf -d $T/db"
expect_rc 0 $C init
expect_rc 0 $C import "$T/pm"

# 1. planted symlinks in the outbox: the names are predictable from the time
mkdir -p "$T/outbox"
printf 'precious\n' > "$T/victim"
ln -s "$T/victim" "$T/outbox/20240320T090000Z-report-1.eml.tmp"
ln -s "$T/victim" "$T/outbox/20240320T090000Z-report-1-1.eml"
expect_rc 0 $C report --send
[ "$(cat "$T/victim")" = precious ] || fail "report --send wrote through a planted symlink"
n=$(find "$T/outbox" -type f -name '*.eml' | wc -l)
[ "$n" -eq 1 ] || fail "expected one report file, found $n"
grep -q "^Subject: Post-mortem action items" "$(find "$T/outbox" -type f -name '*.eml')" ||
    fail "the report was not written"

# 2. + 3. the drill invite
expect_rc 0 $C drill schedule q --at "2024-04-03 15:00" --send
f=$(grep -l "DR drill" "$T/outbox"/*-invite-*.eml | head -n 1)
[ -n "$f" ] || fail "no invite written"
$PY - "$f" <<'PYEOF' || fail "invite: subject not literal, or sent to addresses from the document"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
s = str(m["Subject"])
assert "=?utf-8?b?SGVsbG8NCkJjYzogZXZpbEBldmlsLmV4YW1wbGU=?=" in s, repr(s)
assert "\r" not in s and "\n" not in s and "Bcc" not in s, repr(s)
assert m.get_all("Bcc") is None
to = [a.addr_spec for a in m["To"].addresses]
assert to == ["lena@example.com"], to
PYEOF
expect_rc 0 $C drill list --json
expect_not_in "$T/out" "attacker.example"
# an explicit --attendee may still be any address
expect_rc 0 $C drill schedule q --at "2024-04-10 15:00" --attendee ext@partner.example --send
expect_rc 0 $C drill list --json
expect_in "$T/out" "ext@partner.example"
echo "t46 ok"
