#!/bin/sh
# lint --items: what closeloop read of a post-mortem, per item (line, owner,
# due, status, ticket, problems) and per action-like section with nothing in
# it; [import] headings adds a heading. Runs the real binary.
. "$(dirname "$0")/lib.sh"
export CLOSELOOP_NOW=2024-03-20T09:00:00Z
mkdir -p "$T/pm"
cat > "$T/pm/db.md" <<'MD'
---
title: Replica lag broke the dashboards
date: 2024-02-27
---

## Summary

The replica fell behind.

## Action items

- Alert when the backup job has not succeeded for 26 hours ([#412](https://github.com/acme/ops/issues/412)) (Priya)
- **Review actions**:
  - Document the restore procedure — @omar, due Q3 2024 (DONE)
  - Rehearse a restore, owner: Alice Doe <alice@example.com>, by 2024-02-30

## Next steps

We will keep watching it.

Looks fine so far:

## Lessons learned

- Plain bullets here are not items

## Our homework

- Rotate the replica certificates (@kim)
MD
expect_rc 1 "$CL" lint --items "$T/pm/db.md"
expect_in "$T/out" "db.md: 4 items in \"Replica lag broke the dashboards\""
expect_in "$T/out" "db.md:12: Alert when the backup job has not succeeded for 26 hours"
expect_in "$T/out" "owner: Priya  due: -  status: open  ticket: https://github.com/acme/ops/issues/412"
expect_in "$T/out" "db.md:14: Document the restore procedure"
expect_in "$T/out" "owner: omar  due: 2024-09-30 (approximate)  status: done  ticket: -"
expect_in "$T/out" "problems: due-approximate"
expect_in "$T/out" "db.md:15: Rehearse a restore"
expect_in "$T/out" "owner: Alice Doe <alice@example.com>  due: '2024-02-30' (not a date)"
expect_in "$T/out" "problems: due-not-a-date"
expect_not_in "$T/out" "Plain bullets"
expect_not_in "$T/out" "Rotate the replica"
expect_not_in "$T/out" "Review actions"
# "We will keep watching it." is prose under Next steps, and an item
expect_in "$T/out" "db.md:19: We will keep watching it"
# the problems of --items are not printed twice
expect_not_in "$T/out" "db.md:15: due-not-a-date:"

# plain lint prints the codes
expect_rc 1 "$CL" lint "$T/pm/db.md"
expect_in "$T/out" "db.md:15: due-not-a-date: due date '2024-02-30' is not a date"
expect_in "$T/out" "db.md:14: due-approximate: due date 'Q3 2024' is approximate (read as 2024-09-30)"

# a section with nothing read in it is named
cat > "$T/pm/empty.md" <<'MD'
# Outage

## Follow-ups

Nothing.
MD
expect_rc 1 "$CL" lint --items "$T/pm/empty.md"
expect_in "$T/out" "empty.md: 0 items"
expect_in "$T/out" "empty.md:3: nothing read as an item under \"Follow-ups\""

# [import] headings: "Our homework" is an action heading now
cat > "$T/conf" <<'CONF'
[import]
headings = our homework, things to fix
CONF
expect_rc 1 "$CL" -c "$T/conf" lint --items "$T/pm/db.md"
expect_in "$T/out" "db.md: 5 items"
expect_in "$T/out" "Rotate the replica certificates"
expect_in "$T/out" "owner: kim"
expect_rc 64 "$CL" lint --bogus
# --items --json: one object per document, the fields --items prints
expect_rc 1 "$CL" lint --items --json "$T/pm/db.md" "$T/pm/empty.md"
expect_in "$T/out" '"line":12,"action":"Alert when the backup job has not succeeded for 26 hours","owner":"Priya","owner_email":null,"due":null,"due_raw":null,"status":"open","ticket":"https://github.com/acme/ops/issues/412","problems":["due-missing"]}'
expect_in "$T/out" '"owner":"Alice Doe","owner_email":"alice@example.com","due":null,"due_raw":"2024-02-30","status":"open"'
expect_in "$T/out" '"items":[],"empty_sections":[{"line":3,"heading":"Follow-ups"}]}'
[ "$(grep -c '^{"path":' "$T/out")" = 2 ] || fail "--json: not one line per document"
expect_rc 64 "$CL" lint --json "$T/pm/db.md"
echo "t04-lint-items: ok"
