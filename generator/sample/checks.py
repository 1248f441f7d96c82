"""CHECK constraints for sample rows: each is compiled into a Python predicate over a row
(SQL's three-valued logic: a check passes unless it is false), and its simple atoms
(`col IN (…)`, `col >= 0`, `BETWEEN`, `char_length(col) …`, `col ~ 're'`) steer the column's
values so that most rows pass at once. Expressions it cannot read are left to the database."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

Row = dict[str, Any]
Pred = Callable[[Row], Any]
REF_TIME = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)   # "now" of every sample: output fixed by the seed


class Unsupported(Exception):
    pass


@dataclass
class Steer:
    """What the checks say about one column's values."""

    values: list | None = None          # only these
    low: Any = None
    high: Any = None
    low_open: bool = False
    high_open: bool = False
    len_low: int | None = None
    len_high: int | None = None
    patterns: list[str] = field(default_factory=list)


@dataclass
class Compiled:
    name: str
    columns: tuple[str, ...]
    test: Pred | None                  # None: the database decides (expression not understood)


def compile_check(name: str, expression: str, columns: list[str]) -> Compiled:
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
        used = tuple(c for c in columns if c in {x.name for x in tree.find_all(exp.Column)})
        return Compiled(name, used, _compile(tree))
    except (SqlglotError, Unsupported, RecursionError):
        return Compiled(name, tuple(c for c in columns if re.search(rf"\b{re.escape(c)}\b", expression)), None)


def passes(c: Compiled, row: Row) -> bool:
    if c.test is None:
        return True
    try:
        return c.test(row) is not False
    except (TypeError, ValueError, re.error, ZeroDivisionError, OverflowError):
        return False


# ---------------------------------------------------------------- compiling

def _literal(node: exp.Literal):
    if node.is_string:
        return node.this
    text = node.this
    return float(text) if any(ch in text for ch in ".eE") else int(text)


def _coerce(a, b):
    """Compare a datetime/date with the text of a literal, and numbers with numeric text."""
    if isinstance(a, (dt.datetime, dt.date)) and isinstance(b, str):
        return a, _parse_time(b, type(a))
    if isinstance(b, (dt.datetime, dt.date)) and isinstance(a, str):
        return _parse_time(a, type(b)), b
    if isinstance(a, bool) or isinstance(b, bool):
        return a, b
    if isinstance(a, (int, float)) and isinstance(b, str):
        return a, float(b)
    if isinstance(b, (int, float)) and isinstance(a, str):
        return float(a), b
    return a, b


def _parse_time(text: str, kind):
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if kind is dt.date:
        return value.date()
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


_COMPARE = {exp.EQ: lambda a, b: a == b, exp.NEQ: lambda a, b: a != b, exp.GT: lambda a, b: a > b,
            exp.GTE: lambda a, b: a >= b, exp.LT: lambda a, b: a < b, exp.LTE: lambda a, b: a <= b}
_ARITH = {exp.Add: lambda a, b: a + b, exp.Sub: lambda a, b: a - b, exp.Mul: lambda a, b: a * b,
          exp.Div: lambda a, b: a / b, exp.Mod: lambda a, b: a % b}


def _null_safe(fn, *parts: Pred) -> Pred:
    def run(row):
        values = [p(row) for p in parts]
        if any(v is None for v in values):
            return None
        return fn(*values)
    return run


def _compile(node: exp.Expression) -> Pred:
    kind = type(node)
    if kind is exp.Paren:
        return _compile(node.this)
    if kind is exp.Column:
        name = node.name
        return lambda row: row.get(name)
    if kind is exp.Literal:
        value = _literal(node)
        return lambda row: value
    if kind is exp.Boolean:
        value = node.this
        return lambda row: value
    if kind is exp.Null:
        return lambda row: None
    if kind is exp.Cast:
        return _compile(node.this)
    if kind in (exp.CurrentTimestamp,):
        return lambda row: REF_TIME
    if kind is exp.CurrentDate:
        return lambda row: REF_TIME.date()
    if kind is exp.And:
        return _and(_compile(node.this), _compile(node.expression))
    if kind is exp.Or:
        return _or(_compile(node.this), _compile(node.expression))
    if kind is exp.Not:
        inner = _compile(node.this)
        return lambda row: None if (v := inner(row)) is None else not v
    if kind in _COMPARE:
        return _comparison(node, _COMPARE[kind])
    if kind in _ARITH:
        return _null_safe(_ARITH[kind], _compile(node.this), _compile(node.expression))
    if kind is exp.Neg:
        return _null_safe(lambda a: -a, _compile(node.this))
    return _compile_more(node, kind)


def _compile_more(node: exp.Expression, kind) -> Pred:
    if kind is exp.Between:
        this, low, high = _compile(node.this), _compile(node.args["low"]), _compile(node.args["high"])
        return _null_safe(lambda v, lo, hi: _between(v, lo, hi), this, low, high)
    if kind is exp.In:
        if node.args.get("query"):
            raise Unsupported("IN (subquery)")
        this, options = _compile(node.this), [_compile(e) for e in node.expressions]
        return lambda row: _in(this(row), [o(row) for o in options])
    if kind is exp.Is:
        this = _compile(node.this)
        if not isinstance(node.expression, exp.Null):
            raise Unsupported("IS other than NULL")
        return lambda row: this(row) is None
    if kind in (exp.RegexpLike, exp.RegexpILike):
        flags = re.IGNORECASE if kind is exp.RegexpILike else 0
        return _null_safe(lambda v, p: re.search(p, str(v), flags) is not None, _compile(node.this),
                          _compile(node.expression))
    if kind in (exp.Like, exp.ILike):
        flags = re.IGNORECASE if kind is exp.ILike else 0
        return _null_safe(lambda v, p: re.fullmatch(_like(p), str(v), flags | re.DOTALL) is not None,
                          _compile(node.this), _compile(node.expression))
    if kind is exp.Length:
        return _null_safe(lambda v: len(str(v)), _compile(node.this))
    if kind in (exp.Lower, exp.Upper):
        up = kind is exp.Upper
        return _null_safe(lambda v: str(v).upper() if up else str(v).lower(), _compile(node.this))
    if kind is exp.Trim:
        return _null_safe(lambda v: str(v).strip(" "), _compile(node.this))
    if kind is exp.Coalesce:
        parts = [_compile(node.this)] + [_compile(e) for e in node.expressions]
        return lambda row: next((v for v in (p(row) for p in parts) if v is not None), None)
    if kind is exp.ArraySize:
        return _null_safe(lambda v: len(v) or None, _compile(node.this))
    if kind is exp.Abs:
        return _null_safe(abs, _compile(node.this))
    if kind is exp.Anonymous and str(node.this).lower() == "cardinality" and len(node.expressions) == 1:
        return _null_safe(len, _compile(node.expressions[0]))
    if kind is exp.Any and isinstance(node.this, (exp.Paren, exp.Array)):
        return _compile(node.this)
    if kind is exp.Array:
        items = [_compile(e) for e in node.expressions]
        return lambda row: [i(row) for i in items]
    raise Unsupported(kind.__name__)


def _and(a: Pred, b: Pred) -> Pred:
    def run(row):
        x, y = a(row), b(row)
        if x is False or y is False:
            return False
        return None if x is None or y is None else True
    return run


def _or(a: Pred, b: Pred) -> Pred:
    def run(row):
        x, y = a(row), b(row)
        if x is True or y is True:
            return True
        return None if x is None or y is None else False
    return run


def _comparison(node: exp.Expression, op) -> Pred:
    left, right = _compile(node.this), node.expression
    if isinstance(right, exp.Any):        # col = ANY (ARRAY[...])
        options = _compile(right)
        return lambda row: _in(left(row), options(row) or [])
    rp = _compile(right)
    return _null_safe(lambda a, b: op(*_coerce(a, b)), left, rp)


def _between(v, lo, hi):
    v, lo = _coerce(v, lo)
    v, hi = _coerce(v, hi)
    return lo <= v <= hi


def _in(value, options: list):
    if value is None:
        return None
    if any(_coerce(value, o)[0] == _coerce(value, o)[1] for o in options if o is not None):
        return True
    return None if any(o is None for o in options) else False


def _like(pattern: str) -> str:
    out = []
    for ch in pattern:
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return "".join(out)
