"""PostgreSQL type spellings (`format_type()` output or what a person writes): parse them into
the model's DataType, put them in canonical form, and split qualified names and lists."""
from __future__ import annotations

import re

from generator.model.types import TYPE_ALIASES, DataType

_MODS = re.compile(r"\(\s*(\d+(?:\s*,\s*\d+)*)\s*\)")
_ARRAY = re.compile(r"(\s*\[\s*\d*\s*\])+\s*$")
_ARRAY_KEYWORD = re.compile(r"\s+array(\s*\[\s*\d*\s*\])?\s*$", re.IGNORECASE)


def split_type(text: str) -> tuple[str, tuple[int, ...], int]:
    """`timestamp(3) with time zone[]` -> ("timestamp with time zone", (3,), 1).
    The base keeps its spelling (quotes, schema) apart from whitespace."""
    text = text.strip()
    dims = 0
    match = _ARRAY.search(text)
    if match:
        dims = match.group(0).count("[")
        text = text[: match.start()]
    elif _ARRAY_KEYWORD.search(text):           # `integer ARRAY` / `integer ARRAY[3]`
        dims, text = 1, text[: _ARRAY_KEYWORD.search(text).start()]
    mods: tuple[int, ...] = ()
    found = _MODS.search(text)
    if found:
        mods = tuple(int(m) for m in found.group(1).split(","))
        text = text[: found.start()] + text[found.end():]
    return " ".join(text.split()), mods, dims


def canonical_base(base: str) -> str:
    """The format_type() spelling of a built-in base name; other names unchanged."""
    folded = " ".join(base.lower().split())
    return TYPE_ALIASES.get(folded, base)


def parse_type(text: str) -> DataType:
    """A DataType from a type spelling; enum-ness cannot be known here (enum=False)."""
    base, mods, dims = split_type(text)
    return DataType(canonical_base(base), mods, dims)


def normalize_type(t: DataType) -> DataType:
    """format_type() spelling of the base; implied modifiers made explicit; enums in public."""
    if t.enum:
        return DataType(t.base, t.modifiers, t.array_dims, True, t.schema or "public")
    base = canonical_base(t.base)
    mods = t.modifiers or ((1,) if base in ("character", "bit") else ())
    return DataType(base, tuple(mods), t.array_dims)


def type_text(text: str) -> str:
    """A type spelling in canonical form: `int4[]` -> `integer[]`; unknown names lower-cased
    unless quoted."""
    base, mods, dims = split_type(text)
    if " ".join(base.lower().split()) in TYPE_ALIASES:
        return normalize_type(DataType(canonical_base(base), mods, dims)).sql
    return DataType(base if '"' in base else base.lower(), mods, dims).sql


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside parentheses, brackets and quotes; parts stripped, empties dropped."""
    parts, depth, quote, current = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    return [p.strip() for p in parts + [current] if p.strip()]


def unquote(name: str) -> str:
    """`"Group"` -> `Group`; bare names fold to lower case as PostgreSQL does."""
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1].replace('""', '"')
    return name.lower()


def split_qualified(name: str) -> tuple[str | None, str]:
    """`auth."Uid"` -> ("auth", "Uid"); `uid` -> (None, "uid"). Dots inside quotes are kept."""
    parts, current, quoted = [], "", False
    for ch in name.strip():
        if ch == '"':
            quoted = not quoted
        if ch == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    if len(parts) == 1:
        return None, unquote(parts[0])
    return unquote(parts[-2]), unquote(parts[-1])
