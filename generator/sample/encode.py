"""Sample values as PostgreSQL COPY text: one formatter per column from its type (arrays as
array literals, JSON as JSON, timestamps in ISO form), escaped for COPY's text format or
quoted for CSV. `shift` adds an offset to integer key columns (rows loaded beside others)."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable

from generator.model import Column, DataType

Fmt = Callable[[Any], str]
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_ARRAY_SPECIAL = set('{},"\\ \t\n')


def scalar_text(value: Any, t: DataType) -> str:
    """A non-NULL value as PostgreSQL reads it in a literal of type `t`."""
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        scale = t.modifiers[1] if t.base == "numeric" and len(t.modifiers) > 1 else None
        return f"{value:.{scale}f}" if scale is not None else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, int)):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    if isinstance(value, (dict, list)) and t.base in ("json", "jsonb"):
        return json.dumps(value, separators=(", ", ": "), sort_keys=True)
    return str(value)


def _element(value: Any, t: DataType) -> str:
    if value is None:
        return "NULL"
    text = scalar_text(value, t)
    if text == "" or text.upper() == "NULL" or any(ch in _ARRAY_SPECIAL for ch in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def value_text(value: Any, t: DataType) -> str:
    if t.is_array:
        return "{" + ",".join(_element(v, t.element) for v in value) + "}"
    return scalar_text(value, t)


def formatter(col: Column, shift: int = 0) -> Callable[[Any], str | None]:
    """Value -> text (None stays None), with `shift` added to integers."""
    t = col.type
    if shift:
        return lambda v: None if v is None else str(v + shift)
    if t.base == "uuid" and not t.is_array:
        return lambda v: None if v is None else v
    return lambda v: None if v is None else value_text(v, t)


def copy_line(texts: list[str | None]) -> str:
    return "\t".join("\\N" if x is None else x.translate(_COPY_ESCAPES) for x in texts) + "\n"


def csv_line(texts: list[str | None]) -> str:
    return ",".join("" if x is None else '"' + x.replace('"', '""') + '"' for x in texts) + "\n"
