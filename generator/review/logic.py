"""Three-valued (Kleene) logic over predicate values, as PostgreSQL evaluates AND, OR and NOT:
each value is true, false, null or a residual condition on the row ("maybe"), with what made it
true (the tenant, the owner, the admin predicate, a constant)."""
from __future__ import annotations

import re
from dataclasses import dataclass

TRUE, FALSE, NULL, MAYBE = "true", "false", "null", "maybe"


@dataclass(frozen=True)
class Value:
    """`truth` for every row of the relation, what made it true (`via`: always, tenant, owner,
    admin, role) and, when MAYBE, the residual condition on the row as SQL."""

    truth: str
    via: frozenset[str] = frozenset()
    cond: str | None = None


T_ALWAYS = Value(TRUE, frozenset({"always"}))
F = Value(FALSE)
N = Value(NULL)


def negate(v: Value) -> Value:
    if v.truth == TRUE:
        return F
    if v.truth == FALSE:
        return T_ALWAYS
    if v.truth == NULL:
        return N
    return Value(MAYBE, cond=f"NOT ({v.cond})")


def both(values: list[Value]) -> Value:
    """AND: false wins, then null; true when all are; else the residual conditions ANDed."""
    if any(v.truth == FALSE for v in values):
        return F
    if any(v.truth == NULL for v in values):
        return N
    via = frozenset().union(*(v.via for v in values))
    if via - {"always"}:
        via -= {"always"}                   # `tenant AND true` is still the tenant's rows
    maybes = _unique(v.cond for v in values if v.truth == MAYBE)
    if not maybes:
        return Value(TRUE, via)
    return Value(MAYBE, via, " AND ".join(_paren(c) for c in maybes) if len(maybes) > 1 else maybes[0])


def either(values: list[Value]) -> Value:
    """OR: true wins (with what made each true branch true); else the residual conditions ORed;
    else null when one is null, false when all are false."""
    trues = [v for v in values if v.truth == TRUE]
    if trues:
        return Value(TRUE, frozenset().union(*(v.via for v in trues)))
    maybes = [v for v in values if v.truth == MAYBE]
    if maybes:
        conds = _unique(v.cond for v in maybes)
        via = maybes[0].via if len(maybes) == 1 else frozenset()
        return Value(MAYBE, via, conds[0] if len(conds) == 1 else " OR ".join(conds))
    return N if any(v.truth == NULL for v in values) else F


def _unique(items) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _paren(cond: str) -> str:
    """Parenthesize a condition that holds an OR before it is ANDed."""
    return f"({cond})" if re.search(r"\bOR\b", cond, re.IGNORECASE) else cond
