"""A name that holds invisible characters, or SQL text that holds bidirectional controls.

**What it catches.** Any identifier in the model — schema, table, column, enum and its labels,
index, constraint, policy, function, view, role, trigger, extension — with a character that is not
seen: Unicode format characters (category Cf: bidirectional controls, zero-width space and
joiners, the byte-order mark, soft hyphen, tags), control characters, spaces other than U+0020,
private-use and unassigned code points, and the other default-ignorable characters (Hangul
fillers, variation selectors). In free SQL text (policy expressions, defaults, checks, view
queries, function bodies) it catches bidirectional controls, which reorder how code is shown
(Trojan Source, CVE-2021-42574).

**Why.** `users` and `users` + U+200B are two tables that print alike; a policy for the second
protects nothing a reviewer thinks it does. A right-to-left override inside a policy can show a
reviewer a different expression than the one PostgreSQL runs.

Bad (the name ends in a zero-width space, shown here as `<U+200B>`):

```yaml
entities:
  "documents<U+200B>": {columns: {id: uuid pk}}
```

Good:

```yaml
entities:
  documents: {columns: {id: uuid pk}}
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext
from generator.lint.names import sql_texts
from generator.lint.unicode import BIDI, char_name, hidden, hidden_in, visible

CODE = "RL010"
NAME = "hidden-characters"
SEVERITY = "error"


def check(ctx: LintContext):
    yield from _names(ctx)
    for s in sql_texts(ctx.schema, keep=_not_ascii):
        bad = [c for c in dict.fromkeys(s.text) if ord(c) in BIDI]
        if bad:
            yield Finding(f"{s.what} of {visible(s.owner)} contains {', '.join(char_name(c) for c in bad)}: "
                          "bidirectional controls make code read differently from what runs", s.loc,
                          visible(s.owner), "remove the bidirectional control characters", subject=s.subject)


def _not_ascii(text: str) -> bool:
    return not text.isascii()


def _names(ctx: LintContext):
    every = "".join([n.name for n in ctx.names])
    if every.isascii() and every.isprintable():
        return                  # no name holds a hidden character: the usual case, in one pass
    seen, reported = set(), set()
    for n in ctx.names:
        bad = hidden_in(n.name)
        if not bad or (n.kind, n.name, n.owner) in seen:
            continue
        seen.add((n.kind, n.name, n.owner))
        if n.parent in reported and set(bad) <= set(n.parent) and n.parent in n.name:
            continue            # a name made from its table's name (notes<U+200B>_pkey): one report says it
        reported.add(n.name)
        what = "; ".join(f"{char_name(c)} ({hidden(c)})" for c in bad)
        of = f" of {visible(n.owner)}" if n.parent else ""
        yield Finding(f"{n.kind} name '{visible(n.name)}'{of} contains {what}: it looks like a name it is not",
                      n.loc, visible(n.dotted), "spell the name with visible characters only", subject=n.subject)
