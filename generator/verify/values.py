"""Candidate SQL values per column type, for building valid rows and for hunting a value that
violates a check; plus the literals and columns a SQL expression mentions. Pure: no database."""
from __future__ import annotations

import json
import re
import uuid
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from generator.model import DataType, Schema
from generator.model.naming import quote_literal
from generator.model.types import INTEGER_TYPES, TEXT_TYPES
from generator.verify.samples import sample

NULL = "NULL"
_FIXED = {
    "boolean": ["true", "false"],
    "json": ["'{}'", "'[]'", "'{\"a\": 1}'", "'null'", "'1'"],
    "jsonb": ["'{}'", "'[]'", "'{\"a\": 1}'", "'null'", "'1'"],
    "timestamp with time zone": ["now()", "'2000-01-01 00:00:00+00'", "'2999-12-31 00:00:00+00'",
                                 "'1970-01-01 00:00:00+00'"],
    "timestamp without time zone": ["now()", "'2000-01-01 00:00:00'", "'2999-12-31 00:00:00'",
                                    "'1970-01-01 00:00:00'"],
    "date": ["current_date", "'2000-01-01'", "'2999-12-31'", "'1970-01-01'"],
    "time without time zone": ["'12:00'", "'00:00'", "'23:59'"],
    "time with time zone": ["'12:00+00'", "'00:00+00'"],
    "interval": ["'1 hour'", "'0 seconds'", "'-1 hour'", "'100 years'"],
    "bytea": ["'\\x01'", "''"],
    "inet": ["'10.0.0.1'", "'::1'"], "cidr": ["'10.0.0.0/8'"], "macaddr": ["'08:00:2b:01:02:03'"],
    "tsvector": ["'a'", "''"], "tsquery": ["'a'"], "xml": ["'<a/>'"], "point": ["'(0,0)'", "'(1,1)'"],
    "ltree": ["'a'", "'a.b'"], "oid": ["1"], "money": ["1", "0", "-1"],
    "int4range": ["'[1,2)'", "'empty'"], "int8range": ["'[1,2)'", "'empty'"], "numrange": ["'[1,2)'", "'empty'"],
    "daterange": ["'[2000-01-01,2000-01-02)'", "'empty'"],
    "tsrange": ["'[2000-01-01,2000-01-02)'", "'empty'"], "tstzrange": ["'[2000-01-01,2000-01-02)'", "'empty'"],
}
_NUMBERS = ["1", "2", "10", "100", "1000", "0", "-1", "1000000"]


def typed(value: str, t: DataType) -> str:
    """`value::type`, leaving NULL and function calls without a cast where harmless."""
    if value == NULL:
        return NULL
    return f"{value}::{t.sql}"


def _vector(t: DataType, fill: str = "1") -> list[str]:
    n = t.modifiers[0] if t.modifiers else 3
    if t.base == "sparsevec":
        return [f"'{{1:{fill}}}/{n}'"]
    return ["'[" + ",".join([fill] * n) + "]'", "'[" + ",".join(["0"] * n) + "]'"]


def _text(t: DataType, seq: int, hints: list[str]) -> list[str]:
    limit = t.modifiers[0] if t.modifiers else None
    words = [f"v{seq}", f"v{seq}@example.com", f"V{seq}", f"v-{seq}", "x", "a", "", "not_in_any_list_" + str(seq),
             "x" * 300, " "]
    regex = [sample(h, seq) for h in hints if any(ch in h for ch in "^$[]()*+?{}|\\")]
    words = hints + [r for r in regex if r is not None] + words
    if limit:
        words = [w[-limit:] if w.startswith("v") else w[:limit] for w in words]
    if t.base == "character" and not limit:
        words = [w[:1] or "x" for w in words]
    return [quote_literal(w) for w in dict.fromkeys(words)]


def _numbers(t: DataType, seq: int, hints: list[str], unique: bool) -> list[str]:
    nums = []
    for h in hints:
        try:
            v = float(h)
        except ValueError:
            continue
        whole = v == int(v)
        for x in (v, v - 1, v + 1, -v) if whole else (v, v - 0.5, v + 0.5, -v):
            nums.append(str(int(x)) if whole else repr(x))
    first = [str(seq)] if unique else ["1"]
    values = first + nums + _NUMBERS
    if t.base in INTEGER_TYPES:
        values = [v for v in values if "." not in v and "e" not in v]
    return list(dict.fromkeys(values))


def base_values(t: DataType, schema: Schema, seq: int, hints: list[str] = (), unique: bool = False) -> list[str]:
    """Typed SQL values to try for a column, the most ordinary first (NULL never included)."""
    hints = list(hints)
    if t.is_array:
        first = base_values(t.element, schema, seq, hints, unique)
        return [f"'{{}}'::{t.sql}"] + [f"ARRAY[{v}]::{t.sql}" for v in first[:3]]
    if t.enum:
        e = schema.enum(t.base, t.schema or "public")
        labels = list(e.values) if e else []
        return [typed(quote_literal(v), t) for v in labels]
    if t.base == "uuid":
        return [typed(quote_literal(str(uuid.uuid4())), t)]
    if t.base in TEXT_TYPES:
        return [typed(v, t) for v in _text(t, seq, [h for h in hints if not _is_number(h)])]
    if t.base in INTEGER_TYPES or t.base in ("numeric", "real", "double precision"):
        return [typed(v if not v.startswith("-") else f"({v})", t) for v in _numbers(t, seq, hints, unique)]
    if t.is_vector:
        return [typed(v, t) for v in _vector(t)]
    if t.base in ("bit", "bit varying"):
        n = t.modifiers[0] if t.modifiers else 1
        return [f"B'{'1' * n}'::{t.sql}", f"B'{'0' * n}'::{t.sql}"]
    return [typed(v, t) for v in _FIXED.get(t.base, [])]


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def orphan_value(t: DataType) -> str | None:
    """A value no parent row holds (for 'FK rejects an orphan'), or None when none is easy."""
    if t.base == "uuid" and not t.is_array:
        return typed(quote_literal(str(uuid.uuid4())), t)
    if t.base in INTEGER_TYPES:
        return typed("2147480001" if t.base != "smallint" else "32001", t)
    if t.base in TEXT_TYPES:
        return typed(quote_literal(f"orphan_{uuid.uuid4().hex[:8]}"), t)
    return None


# ---------------------------------------------------------------- expressions

@lru_cache(maxsize=4096)
def _names(sql: str) -> frozenset[str] | None:
    """Column names an expression mentions (parsed once per text: a spec repeats its checks and
    policies in every row built); None when it does not parse."""
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except SqlglotError:
        return None
    return frozenset(c.name for c in tree.find_all(exp.Column))


@lru_cache(maxsize=4096)
def _literals(sql: str) -> tuple[str, ...]:
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except SqlglotError:
        return tuple(re.findall(r"'((?:[^']|'')*)'", sql))
    return tuple(lit.this for lit in tree.find_all(exp.Literal))


def expression_columns(sql: str, columns: list[str]) -> list[str]:
    """Columns of the table that an expression mentions, in table order."""
    named = _names(sql)
    if named is None:
        named = {q or b for q, b in re.findall(r'"([^"]+)"|\b([A-Za-z_]\w*)\b', sql)}
    return [c for c in columns if c in named]


def expression_literals(sql: str) -> list[str]:
    """String and number literals in an expression, as plain text (the list of an IN, a bound)."""
    return list(_literals(sql))


def json_hints(literals: list[str]) -> list[str]:
    """JSON objects built from a condition's string literals (`flags->>'admin' = 'yes'` ->
    `{"admin": "yes"}`, `{"admin": true}`), as SQL literals."""
    words = [w for w in dict.fromkeys(literals) if w and not _is_number(w)][:6]
    out = []
    for key in words:
        out += [json.dumps({key: v}) for v in words if v != key] + [json.dumps({key: True})]
    return [quote_literal(o) for o in out]
