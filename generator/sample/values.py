"""Sample values of the less common types (network, ranges, geometry, bytes …), JSON objects
and vectors, as Python values sample.encode can write."""
from __future__ import annotations

import datetime as dt
import random
from array import array
from typing import Callable

from generator.model import DataType
from generator.sample import words as W

_DRAWS: dict[str, Callable[[random.Random], str]] = {
    "inet": W.ip,
    "cidr": lambda r: f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.0/24",
    "macaddr": lambda r: ":".join(f"{r.randint(0, 255):02x}" for _ in range(6)),
    "bytea": lambda r: "\\x" + W.hexstr(r, 16),
    "tsvector": lambda r: " ".join(sorted({W.word(r) for _ in range(4)})),
    "tsquery": lambda r: W.word(r),
    "xml": lambda r: f"<note>{W.word(r)}</note>",
    "point": lambda r: f"({r.uniform(-180, 180):.5f},{r.uniform(-90, 90):.5f})",
    "ltree": lambda r: ".".join(W.word(r) for _ in range(r.randint(1, 3))),
    "oid": lambda r: str(r.randint(1, 100000)),
    "time without time zone": lambda r: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00",
    "time with time zone": lambda r: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00+00",
    "interval": lambda r: f"{r.randint(1, 600)} minutes",
    "int4range": lambda r: _range(r, 1000),
    "int8range": lambda r: _range(r, 1000000),
    "numrange": lambda r: _range(r, 1000),
    "daterange": lambda r: _dates(r, "%Y-%m-%d"),
    "tsrange": lambda r: _dates(r, "%Y-%m-%d %H:%M:%S"),
    "tstzrange": lambda r: _dates(r, "%Y-%m-%d %H:%M:%S+00"),
}


def _range(r: random.Random, top: int) -> str:
    a = r.randint(0, top)
    return f"[{a},{a + r.randint(1, 100)})"


def _dates(r: random.Random, fmt: str) -> str:
    start = dt.datetime(2024, 1, 1) + dt.timedelta(days=r.randint(0, 500), hours=r.randint(0, 23))
    return f"[{start.strftime(fmt)},{(start + dt.timedelta(days=r.randint(1, 30))).strftime(fmt)})"


def other_value(t: DataType) -> Callable[[random.Random, dict], str] | None:
    if t.base in ("bit", "bit varying"):
        n = t.modifiers[0] if t.modifiers else 8
        return lambda r, row: "".join(r.choice("01") for _ in range(n))
    draw = _DRAWS.get(t.base)
    return (lambda r, row: draw(r)) if draw else None


def json_value(r: random.Random, keys: list[str]) -> dict:
    """A small object: one to three keys of the column's own palette, with plain values."""
    out = {}
    for key in r.sample(keys, r.randint(1, 3)):
        pick = r.random()
        out[key] = r.randint(1, 100) if pick < 0.4 else (r.random() < 0.5) if pick < 0.6 else W.word(r)
    return out


_COMPONENTS = [f"{x / 1000:.3f}" for x in range(-1000, 1001)]     # -1.000 … 1.000, as text


def vector_value(r: random.Random, size: int, base: str) -> str:
    """Text of a vector: [x,y,…] with three decimals in -1..1 (sparsevec: {i:x,…}/n)."""
    if base == "sparsevec":
        picks = sorted(r.sample(range(1, size + 1), min(size, 8)))
        return "{" + ",".join(f"{i}:{r.choice(_COMPONENTS)}" for i in picks) + "}/" + str(size)
    picks = array("H", r.randbytes(2 * size))        # 16 random bits per component
    table = _COMPONENTS
    return "[" + ",".join([table[x % 2001] for x in picks]) + "]"


def time_value(text: str, base: str):
    """A date or timestamp from ISO text (a bare date reads as midnight UTC)."""
    if base == "date":
        return dt.date.fromisoformat(text[:10])
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if base == "timestamp with time zone":
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return value.replace(tzinfo=None)
