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
from generator.lint.names import names
from generator.lint.unicode import BUILTINS, builtin_skeletons, skeleton

CODE = "RL011"
NAME = "confusable-name"
SEVERITY = "error"


def check(ctx: LintContext):
    groups: dict[tuple, dict[str, list]] = {}      # (namespace, skeleton) -> name -> its Name(s)
    for n in names(ctx.schema):
        groups.setdefault((n.namespace, skeleton(n.name)), {}).setdefault(n.name, []).append(n)
    reported = set()
    for (namespace, sk), by_name in groups.items():
        spelled = list(by_name)
        if len(spelled) > 1:
            # the plain (ASCII) spelling is the one meant; report the others
            first = next((s for s in spelled if s.isascii()), spelled[0])
            for other in spelled:
                n = by_name[other][0]
                if other != first and _key(n) not in reported:
                    reported.add(_key(n))
                    yield _finding(n, f"the {_space(namespace)} name '{first}'", sk)
        builtin = BUILTINS.get(namespace[0])
        twin = builtin_skeletons(namespace[0]).get(sk) if builtin else None
        for name in spelled:
            n = by_name[name][0]
            if twin is not None and twin != name and _key(n) not in reported:
                reported.add(_key(n))
                yield _finding(n, f"the {builtin[0]} '{twin}'", sk)


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
