"""Read the simple atoms of a table's CHECK constraints into per-column Steer hints: allowed
values, numeric or date bounds, text length bounds and regular expressions. A `col IS NULL
OR …` branch still steers the column (NULL is just one more allowed value)."""
from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from generator.sample.checks import Steer, _literal

_BOUNDS = {exp.GT: ("low", True), exp.GTE: ("low", False), exp.LT: ("high", True), exp.LTE: ("high", False)}
_FLIP = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE}


def steer_for(expressions: list[str]) -> dict[str, Steer]:
    out: dict[str, Steer] = {}
    for text in expressions:
        try:
            tree = sqlglot.parse_one(text, read="postgres")
        except SqlglotError:
            continue
        for atom in _atoms(tree):
            _atom(atom, out)
    return out


def _atoms(node: exp.Expression) -> list[exp.Expression]:
    """Conjuncts, looking through parentheses and through `x IS NULL OR …` on either side."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _atoms(node.this) + _atoms(node.expression)
    if isinstance(node, exp.Or):
        sides = [node.this, node.expression]
        nulls = [s for s in sides if isinstance(s, exp.Is) and isinstance(s.expression, exp.Null)
                 and not s.args.get("negate")]
        if len(nulls) == 1:
            return _atoms(next(s for s in sides if s is not nulls[0]))
        values = _or_values(node)
        return [values] if values is not None else []
    return [node]


def _or_values(node: exp.Or) -> exp.In | None:
    """`a = 'x' OR a = 'y'` -> a IN ('x', 'y'), when every branch compares one column."""
    parts, stack = [], [node]
    while stack:
        n = stack.pop()
        while isinstance(n, exp.Paren):
            n = n.this
        if isinstance(n, exp.Or):
            stack += [n.this, n.expression]
        elif isinstance(n, exp.EQ) and isinstance(n.this, exp.Column) and isinstance(n.expression, exp.Literal):
            parts.append(n)
        else:
            return None
    if len({p.this.name for p in parts}) != 1:
        return None
    return exp.In(this=parts[0].this, expressions=[p.expression for p in parts])


def _column(node) -> str | None:
    while isinstance(node, exp.Cast):
        node = node.this
    return node.name if isinstance(node, exp.Column) else None


def _value(node):
    while isinstance(node, exp.Cast):
        node = node.this
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        return -_literal(node.this)
    return _literal(node) if isinstance(node, exp.Literal) else None


def _length_of(node) -> str | None:
    return _column(node.this) if isinstance(node, exp.Length) else None


def _atom(node: exp.Expression, out: dict[str, Steer]) -> None:
    kind = type(node)
    if kind is exp.In and _column(node.this):
        values = [_value(e) for e in node.expressions]
        if all(v is not None for v in values):
            _get(out, _column(node.this)).values = values
    elif kind is exp.EQ:
        col, value = _column(node.this), _value(node.expression)
        if col and value is not None:
            _get(out, col).values = [value]
        elif isinstance(node.expression, exp.Any) and col:
            arr = node.expression.find(exp.Array)
            values = [_value(e) for e in arr.expressions] if arr else []
            if values and all(v is not None for v in values):
                _get(out, col).values = values
    elif kind in _BOUNDS:
        _bound(node, kind, out)
    elif kind is exp.Between:
        low, high = _value(node.args["low"]), _value(node.args["high"])
        col, length = _column(node.this), _length_of(node.this)
        if col and low is not None and high is not None:
            s = _get(out, col)
            s.low, s.high = low, high
        elif length and isinstance(low, int) and isinstance(high, int):
            s = _get(out, length)
            s.len_low, s.len_high = low, high
    elif kind is exp.RegexpLike and _column(node.this) and isinstance(node.expression, exp.Literal):
        _get(out, _column(node.this)).patterns.append(node.expression.this)


def _bound(node: exp.Expression, kind, out: dict[str, Steer]) -> None:
    left, right = node.this, node.expression
    if _value(left) is not None:                       # 0 <= x  ->  x >= 0
        left, right, kind = right, left, _FLIP[kind]
    value = _value(right)
    if value is None:
        return
    side, open_ = _BOUNDS[kind]
    col, length = _column(left), _length_of(left)
    if col:
        s = _get(out, col)
        setattr(s, side, value)
        setattr(s, f"{side}_open", open_)
    elif length and isinstance(value, int):
        s = _get(out, length)
        if side == "low":
            s.len_low = value + (1 if open_ else 0)
        else:
            s.len_high = value - (1 if open_ else 0)


def _get(out: dict[str, Steer], col: str) -> Steer:
    return out.setdefault(col, Steer())
