"""One value generator per column: `draw` makes a random (non-NULL) value, `nth` the k-th of
a sequence of distinct values (for unique keys), `domain` says how many distinct values there
are (None: unbounded). Kinds come from the spec's hint, else from the column's name and type;
CHECK atoms (Steer) narrow them. Values are Python objects; sample.encode writes them."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, Callable

from generator.model import Column, ColumnHint, Schema, Table
from generator.model.types import INTEGER_TYPES, TEXT_TYPES
from generator.sample import hints as H
from generator.sample import words as W
from generator.sample.checks import REF_TIME, Steer
from generator.sample.regex import sample as regex_sample
from generator.sample.values import other_value, json_value, time_value, vector_value

Draw = Callable[[random.Random, dict], Any]
Nth = Callable[[random.Random, dict, int], Any]
INT_LIMITS = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}
TIME_KEY = "\0t"          # a row's own moment, set before its columns are drawn


class Unsampleable(Exception):
    """No generator for this column; the message says what hint would help."""


@dataclass
class ColumnGen:
    column: Column
    draw: Draw
    nth: Nth | None = None
    domain: int | None = None
    null: float = 0.0


def palette(seed: str, size: int = 6) -> list[str]:
    """A fixed set of words for a categorical column (same for every run)."""
    r = random.Random(seed)
    return r.sample(W.WORDS, size)


def _choice(values: list, weights: tuple = ()) -> tuple[Draw, Nth, int]:
    if weights:
        return (lambda r, row: r.choices(values, weights)[0]), (lambda r, row, k: values[k] if k < len(values)
                                                                else None), len(values)
    return (lambda r, row: r.choice(values)), (lambda r, row, k: values[k] if k < len(values) else None), len(values)


def build(col: Column, table: Table, schema: Schema, hint: ColumnHint | None, steer: Steer | None) -> ColumnGen:
    t = col.type
    hint = hint or ColumnHint()
    steer = steer or Steer()
    if t.is_array:
        return _array(col, table, schema, hint, steer)
    gen = _scalar(col, table, schema, hint, steer)
    gen.null = hint.null if hint.null is not None and col.nullable else gen.null
    return gen


def _scalar(col: Column, table: Table, schema: Schema, hint: ColumnHint, steer: Steer) -> ColumnGen:
    t = col.type
    if hint.values or steer.values:
        values = [_cast(v, col) for v in (hint.values or steer.values)]
        draw, nth, size = _choice(values, hint.weights if hint.values else _default_first(col, values))
        return ColumnGen(col, draw, nth, size, H.null_share(col))
    if t.enum:
        enum = schema.enum(t.base, t.schema or "public")
        if enum is None:
            raise Unsampleable(f"enum {t.base} is not in the spec")
        values = list(enum.values)
        draw, nth, size = _choice(values, _default_first(col, values))
        return ColumnGen(col, draw, nth, size, H.null_share(col))
    if t.base == "boolean":
        share = H.true_share(col)
        return ColumnGen(col, lambda r, row: r.random() < share, lambda r, row, k: (False, True)[k] if k < 2 else None,
                         2, H.null_share(col))
    if t.base == "uuid":
        return ColumnGen(col, lambda r, row: str(_uuid(r)), lambda r, row, k: str(_uuid(r)), None, H.null_share(col))
    if t.base in INTEGER_TYPES or t.base in ("numeric", "real", "double precision", "money"):
        return _number(col, hint, steer)
    if t.base in TEXT_TYPES:
        return _text(col, table, hint, steer)
    if t.base in ("timestamp with time zone", "timestamp without time zone", "date"):
        return _time(col, hint, steer)
    if t.base in ("json", "jsonb"):
        keys = palette(f"{table.name}.{col.name}", 8)
        return ColumnGen(col, lambda r, row: json_value(r, keys), None, None, H.null_share(col))
    if t.is_vector:
        size = t.modifiers[0] if t.modifiers else 3
        return ColumnGen(col, lambda r, row: vector_value(r, size, t.base), None, None, H.null_share(col, "after"))
    draw = other_value(t)
    if draw is None:
        raise Unsampleable(f"no sample values for type {t.sql}")
    return ColumnGen(col, draw, None, None, H.null_share(col))


def _default_first(col: Column, values: list) -> tuple:
    """Weights that make a column's literal default half of its values (most rows keep it)."""
    if not col.default or len(values) < 2:
        return ()
    literal = col.default.split("::")[0].strip()
    if not (literal.startswith("'") and literal.endswith("'")):
        return ()
    text = literal[1:-1].replace("''", "'")
    if text not in [str(v) for v in values]:
        return ()
    return tuple(float(len(values) - 1) if str(v) == text else 1.0 for v in values)


def _uuid(r: random.Random):
    import uuid
    n = r.getrandbits(128)
    n = (n & ~(0xF000 << 64)) | (4 << 76)          # version 4
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)      # RFC 4122 variant
    return uuid.UUID(int=n)


def _cast(value, col: Column):
    base = col.type.base
    if base in INTEGER_TYPES:
        return int(float(value))
    if base in ("numeric", "real", "double precision"):
        return float(value)
    if base == "boolean":
        return str(value).lower() in ("true", "t", "1", "yes", "on")
    if base == "date":
        return dt.date.fromisoformat(str(value))
    if base.startswith("timestamp"):
        return time_value(str(value), base)
    return value if isinstance(value, (dict, list)) else str(value)


# ---------------------------------------------------------------- numbers

def _number(col: Column, hint: ColumnHint, steer: Steer) -> ColumnGen:
    t = col.type
    integer = t.base in INTEGER_TYPES
    scale = t.modifiers[1] if t.base == "numeric" and len(t.modifiers) > 1 else (0 if t.modifiers else 2)
    step = 1 if integer else 10 ** -scale
    lo, hi = H.number_range(col)
    lo, hi = _num(hint.low, lo), _num(hint.high, hi)
    if steer.low is not None and isinstance(steer.low, (int, float)):
        lo = max(lo, steer.low + (step if steer.low_open else 0)) if hint.low is None else lo
        hi = max(hi, lo)
    if steer.high is not None and isinstance(steer.high, (int, float)):
        hi = min(hi, steer.high - (step if steer.high_open else 0)) if hint.high is None else hi
        lo = min(lo, hi)
    if integer:
        limit = INT_LIMITS[t.base]
        lo, hi = int(max(lo, -limit)), int(min(hi, limit))
        return ColumnGen(col, lambda r, row: r.randint(lo, hi), lambda r, row, k: lo + k if lo + k <= limit else None,
                         None, H.null_share(col))
    if t.base == "numeric" and t.modifiers:
        top = 10 ** (t.modifiers[0] - scale) - step
        lo, hi = max(lo, -top), min(hi, top)
    return ColumnGen(col, lambda r, row: round(r.uniform(lo, hi), scale),
                     lambda r, row, k: round(lo + k * step, scale), None, H.null_share(col))


def _num(value, default):
    return value if isinstance(value, (int, float)) else default


# ---------------------------------------------------------------- text

def _text(col: Column, table: Table, hint: ColumnHint, steer: Steer) -> ColumnGen:
    limit = col.type.modifiers[0] if col.type.modifiers else None
    if steer.patterns:
        return _pattern(col, steer.patterns, limit)
    kind = hint if hint.kind else H.text_kind(col, table.name)
    low, high = _lengths(kind, steer, limit)
    if kind.kind == "category":
        values = palette(f"{table.name}.{col.name}")
        return ColumnGen(col, lambda r, row: r.choice(values),
                         lambda r, row, k: values[k % 6] + ("" if k < 6 else f"_{k // 6}"), None, H.null_share(col))
    make = _maker(kind.kind or "words", low, high)

    def draw(r, row):
        return _fit(make(r), low, high, r)

    def nth(r, row, k):
        return _fit(_suffixed(kind.kind, make(r), k, high), low, None)
    return ColumnGen(col, draw, nth, None, H.null_share(col))


def _lengths(kind: ColumnHint, steer: Steer, limit: int | None) -> tuple[int | None, int | None]:
    low = steer.len_low if steer.len_low is not None else None
    high = steer.len_high if steer.len_high is not None else None
    if kind.kind in ("text", "words", "hex", "token", "code") and isinstance(kind.low, (int, float)):
        low = max(low or 0, int(kind.low))
    if kind.kind in ("text", "words", "hex", "token", "code") and isinstance(kind.high, (int, float)):
        high = min(high, int(kind.high)) if high is not None else int(kind.high)
    if limit is not None:
        high = min(high, limit) if high is not None else limit
    return low, high


def _maker(kind: str, low: int | None, high: int | None) -> Callable[[random.Random], str]:
    if kind in W.MAKERS:
        return W.MAKERS[kind]
    if kind == "text":
        lo, hi = low or 20, high or max(low or 20, 200)
        return lambda r: W.text(r, lo, min(hi, 2000))
    if kind == "words":
        return lambda r: W.words(r, 1, 4)
    if kind == "hex":
        return lambda r: W.hexstr(r, high or 32)
    if kind == "token":
        return lambda r: W.token(r, high or 32)
    if kind == "code":
        return lambda r: W.code(r, min(high or 10, 12))
    if kind == "uuid":
        return lambda r: str(_uuid(r))
    if kind in ("int", "number", "bool", "date", "timestamp", "json", "vector"):
        return lambda r: str(r.randint(0, 1000))
    return lambda r: W.words(r, 1, 3)


def _fit(text: str, low: int | None, high: int | None, r: random.Random | None = None) -> str:
    if high is not None and len(text) > high:
        text = text[:high].rstrip() or text[:high]
    if low is not None and len(text) < low:
        text = text + "".join((r or random).choice("abcdefghij") for _ in range(low - len(text)))
    return text


def _suffixed(kind: str | None, base: str, k: int, high: int | None) -> str:
    """A distinct value from a realistic base and k (the suffix survives a length limit)."""
    tag = str(k + 1)
    if kind == "email" and "@" in base:
        local, _, domain = base.partition("@")
        return f"{local}{tag}@{domain}"
    sep = "-" if kind in ("slug", "code", "token", "hex", "key", "username") else " "
    sep = "_" if kind in ("key", "username") else sep
    if high is not None and len(base) + len(sep) + len(tag) > high:
        base = base[:max(0, high - len(tag) - len(sep))]
    return f"{base}{sep}{tag}" if base else tag


def _pattern(col: Column, patterns: list[str], limit: int | None) -> ColumnGen:
    import re

    def draw(r, row):
        for _ in range(20):
            text = regex_sample(patterns[0], r.getrandbits(32))
            if text is not None and all(re.search(p, text) for p in patterns[1:]) and \
                    (limit is None or len(text) <= limit):
                return text
        raise Unsampleable(f"no text matching {patterns[0]!r}")
    return ColumnGen(col, draw, lambda r, row, k: draw(r, row), None, H.null_share(col))


# ---------------------------------------------------------------- time

def _time(col: Column, hint: ColumnHint, steer: Steer) -> ColumnGen:
    base = col.type.base
    role = H.time_role(col)
    lo = time_value(str(hint.low), base) if hint.low is not None else None
    hi = time_value(str(hint.high), base) if hint.high is not None else None

    def draw(r, row):
        if lo is not None and hi is not None:
            value = lo + (hi - lo) * r.random()
        else:
            value = _role_time(role, row.get(TIME_KEY) or REF_TIME, r)
        return _as(value, base, col.name)

    def nth(r, row, k):
        return _as(_nth_time(col.name, k), base, col.name)
    return ColumnGen(col, draw, nth, None, H.null_share(col, role))


def _role_time(role: str, t: dt.datetime, r: random.Random) -> dt.datetime:
    day = dt.timedelta(days=1)
    if role == "base":
        return t
    if role == "updated":
        return min(REF_TIME, t + r.random() * 20 * day)
    if role == "near":
        return t + (r.random() - 0.5) * day
    if role == "future":
        return t + (1 + r.random() * 89) * day
    return t + (0.001 + r.random() * 20) * day


def _nth_time(name: str, k: int) -> dt.datetime:
    if "week" in name:
        monday = REF_TIME - dt.timedelta(days=REF_TIME.weekday())
        return monday - dt.timedelta(weeks=k)
    if "month" in name or "period" in name:
        year, month = divmod(REF_TIME.year * 12 + REF_TIME.month - 1 - k, 12)
        return REF_TIME.replace(year=year, month=month + 1, day=1)
    return REF_TIME - dt.timedelta(days=k)


def _as(value: dt.datetime, base: str, name: str):
    if base == "date":
        day = value.date() if isinstance(value, dt.datetime) else value
        if "week" in name:
            return day - dt.timedelta(days=day.weekday())
        if "month" in name or "period" in name:
            return day.replace(day=1)
        return day
    value = value.replace(microsecond=(value.microsecond // 1000) * 1000)
    return value if base == "timestamp with time zone" else value.replace(tzinfo=None)


# ---------------------------------------------------------------- arrays

def _array(col: Column, table: Table, schema: Schema, hint: ColumnHint, steer: Steer) -> ColumnGen:
    element = Column(col.name, col.type.element, False)
    if col.type.base in TEXT_TYPES and not hint.values and not hint.kind:
        words = palette(f"{table.name}.{col.name}", 12)
        inner = ColumnGen(element, lambda r, row: r.choice(words))
    else:
        inner = _scalar(element, table, schema, ColumnHint(hint.kind, hint.low, hint.high, hint.values,
                                                           hint.weights), Steer())
    low, high = hint.items or (0, 3)

    def draw(r, row):
        n = r.randint(low, high)
        if inner.domain is not None:
            n = min(n, inner.domain)
        out: list = []
        for _ in range(n * 3):
            if len(out) == n:
                break
            v = inner.draw(r, row)
            if v not in out:
                out.append(v)
        return out
    return ColumnGen(col, draw, None, None, H.null_share(col))
