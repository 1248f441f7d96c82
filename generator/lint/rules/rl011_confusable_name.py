"""A name that looks like another name in its namespace, or like a built-in, but is not it.

**What it catches.** Two different identifiers that PostgreSQL looks up in one namespace (tables,
views, indexes and index-backed constraints of a schema; types; the columns, constraints,
policies or triggers of a table; labels of an enum; functions of a schema; roles; schemas) whose
UTS #39 skeletons are equal, and identifiers whose skeleton equals that of a built-in type
(`bıgınt` with dotless i's is not `bigint`), role (`аnon` with a Cyrillic а), schema or a
function access predicates call (`current_setting`, `uid`). Skeletons come from Unicode's
confusables data (the confusable-homoglyphs package): NFD, each character replaced by its
prototype, NFD again.

**Why.** A reviewer reads `bıgınt` as bigint and `аnon` as anon. An enum named like a type, a
policy for a look-alike role, or a column that shadows another by appearance says one thing in
review and does another in the database.

Bad:

```yaml
enums:
  bıgınt: [small, large]         # dotless i: a new type that reads as bigint
```

Good:

```yaml
enums:
  size_class: [small, large]
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext
from generator.lint.unicode import BUILTINS, builtin_skeletons, skeletons

CODE = "RL011"
NAME = "confusable-name"
SEVERITY = "error"


def check(ctx: LintContext):
    first: dict[tuple, object] = {}                 # (namespace, skeleton) -> first Name
    clashes: dict[tuple, dict[str, object]] = {}    # … -> spelling -> Name, where spellings differ
    skeleton_of = skeletons([n.name for n in ctx.names])
    for n in ctx.names:
        key = (n.namespace, skeleton_of[n.name])
        seen = first.setdefault(key, n)
        if seen is not n and seen.name != n.name:
            clashes.setdefault(key, {seen.name: seen}).setdefault(n.name, n)
    reported = set()
    for (namespace, sk), by_name in clashes.items():
        # the plain (ASCII) spelling is the one meant; report the others
        meant = next((s for s in by_name if s.isascii()), next(iter(by_name)))
        for spelling, n in by_name.items():
            if spelling != meant and _key(n) not in reported:
                reported.add(_key(n))
                yield _finding(n, f"the {_space(namespace)} name '{meant}'", sk)
    for (namespace, sk), n in first.items():
        builtin = BUILTINS.get(namespace[0])
        twin = builtin and builtin_skeletons(namespace[0]).get(sk)
        if twin is None:
            continue
        for spelling, m in (clashes.get((namespace, sk)) or {n.name: n}).items():
            if twin is not None and twin != spelling and _key(m) not in reported:
                reported.add(_key(m))
                yield _finding(m, f"the {builtin[0]} '{twin}'", sk)


def _key(n) -> tuple:
    return (n.kind, n.name, n.owner)


def _space(namespace: tuple) -> str:
    return {"relation": "relation", "type": "type", "column": "column", "constraint": "constraint",
            "policy": "policy", "trigger": "trigger", "label": "enum label", "function": "function",
            "role": "role", "schema": "schema", "extension": "extension"}.get(namespace[0], namespace[0])


def _finding(n, other: str, sk: str) -> Finding:
    of = f" of {n.owner}" if n.parent else ""
    return Finding(f"{n.kind} name '{n.name}'{of} looks like {other} (UTS #39 skeleton '{sk}') but is a "
                   "different name", n.loc, n.dotted,
                   "rename it to a name that reads as what it is (ASCII letters, digits and _ avoid this)",
                   subject=n.subject)
