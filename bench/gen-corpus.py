#!/usr/bin/env python3
"""Writes a synthetic corpus of post-mortems in the formats closeloop reads.

usage: gen-corpus.py DIR [COUNT]   (default 10000 documents, ~4 KB, 6 items each)
Deterministic (seeded) so runs compare. Mixes tables with renamed columns,
checklists, sub-headings, timelines that must be ignored, and lint problems.
"""
import os
import random
import sys

WORDS = ("cache queue replica shard pool index gateway resolver broker worker "
         "scheduler ingress certificate quota backup snapshot failover alert "
         "dashboard runbook retry timeout limit budget canary rollout").split()
VERBS = ("Add Alert on Move Lower Raise Document Automate Rehearse Split Cap "
         "Monitor Replace Audit Tune Page on").split(" ")
PEOPLE = ["ana", "ben", "carla", "dev", "eli", "fay", "gus", "hana", "ivo", "jun",
          "kai", "lea", "mo", "nia", "oli", "pia"]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
FILLER = ("The service degraded after a configuration change rolled out to every "
          "region at once. Retries amplified the load and the queue grew until the "
          "consumers fell behind. ")


def action(rng):
    return "%s %s %s for the %s" % (rng.choice(VERBS), rng.choice(WORDS),
                                    rng.choice(WORDS), rng.choice(WORDS))


def due(rng, year, month):
    r = rng.random()
    if r < 0.05:
        return rng.choice(["soon", "ASAP", "next sprint", "TBD"])
    m = (month + rng.randint(0, 2)) % 12
    d = rng.randint(1, 28)
    if r < 0.5:
        return "%s %d" % (MONTHS[m], d)
    return "%04d-%02d-%02d" % (year + (month + rng.randint(0, 2) > 11), m + 1, d)


def owner(rng):
    r = rng.random()
    if r < 0.04:
        return rng.choice(["team", "TBD", "ops"])
    if r < 0.5:
        return "@" + rng.choice(PEOPLE)
    p = rng.choice(PEOPLE)
    return "%s Doe (@%s)" % (p.capitalize(), p)


def document(rng, n):
    year, month, day = 2022 + n % 3, n % 12, 1 + n % 28
    out = ["# Post-Mortem: %s %s outage %d — %04d-%02d-%02d\n" %
           (rng.choice(WORDS).capitalize(), rng.choice(WORDS), n, year, month + 1, day),
           "**Severity:** P%d\n**Authors:** @%s, @%s\n\n" %
           (rng.randint(1, 3), rng.choice(PEOPLE), rng.choice(PEOPLE)),
           "## Summary\n\n" + FILLER * 6 + "\n\n## Timeline\n\n| Time | Event | Owner |\n"
           "|------|-------|-------|\n"]
    for t in range(12):
        out.append("| %02d:%02d | %s %s noticed | @%s |\n" %
                   (9 + t // 6, (t * 7) % 60, rng.choice(WORDS), rng.choice(WORDS),
                    rng.choice(PEOPLE)))
    out.append("\n## Root cause\n\n" + FILLER * 8 + "\n\n")
    style = n % 3
    if style == 0:
        out.append("## Action items\n\n| Action | Owner | Due | Status |\n|---|---|---|---|\n")
        for _ in range(6):
            out.append("| %s | %s | %s | %s |\n" % (action(rng), owner(rng),
                       due(rng, year, month), "done" if rng.random() < 0.3 else ""))
    elif style == 1:
        out.append("## Follow-ups\n\n### Short term\n\n| Task | Assignee | Deadline |\n"
                   "|------|----------|----------|\n")
        for _ in range(3):
            out.append("| %s | %s | %s |\n" % (action(rng), owner(rng), due(rng, year, month)))
        out.append("\n### Long term\n\n")
        for _ in range(3):
            out.append("- [%s] %s — %s, due %s\n" % ("x" if rng.random() < 0.3 else " ",
                       action(rng), owner(rng), due(rng, year, month)))
    else:
        out.append("## Corrective actions\n\n")
        for _ in range(6):
            out.append("- [ ] %s (%s, due %s)\n" % (action(rng), owner(rng),
                                                    due(rng, year, month)))
    out.append("\n## What went well\n\n- " + FILLER + "\n- " + FILLER + "\n")
    return "".join(out)


def main():
    root = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    rng = random.Random(20240322)
    for n in range(count):
        sub = os.path.join(root, "%04d" % (2022 + n % 3), "%02d" % (n % 12 + 1))
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "pm-%05d.md" % n), "w", encoding="utf-8") as f:
            f.write(document(rng, n))


if __name__ == "__main__":
    main()
