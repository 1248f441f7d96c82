"""Model snapshots: the schema after a migration as deterministic JSON (sorted keys, only the
fields that make two schemas differ, plus external triggers), and back into the model."""
from __future__ import annotations

import dataclasses
import json
import types
import typing
from functools import lru_cache

from generator.diagnostics import Diagnostic, GenError
from generator.model import Schema

FORMAT = 1
# compare=False, yet part of the database (settings: TEMPORARY for PUBLIC, the flavor)
_KEPT_METADATA = {(Schema, "external_triggers"), (Schema, "settings")}


def _fields(cls) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if f.compare or (cls, f.name) in _KEPT_METADATA]


def to_data(value):
    if dataclasses.is_dataclass(value):
        return {f.name: to_data(getattr(value, f.name)) for f in _fields(type(value))}
    if isinstance(value, (tuple, list)):
        return [to_data(v) for v in value]
    if isinstance(value, frozenset):
        return sorted(to_data(v) for v in value)
    return value


def to_json(schema: Schema) -> str:
    return json.dumps({"gen_snapshot": FORMAT, "schema": to_data(schema)}, indent=1, sort_keys=True,
                      ensure_ascii=False) + "\n"


@lru_cache(maxsize=None)
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _build(tp, data):
    """Rebuild a value of type `tp` (a model dataclass, tuple[...], optional or scalar)."""
    if data is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(options[0], data) if len(options) == 1 else data
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in data)
        return tuple(_build(a, v) for a, v in zip(args, data))
    if dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        return tp(**{f.name: _build(hints[f.name], data[f.name]) for f in _fields(tp) if f.name in data})
    return data


def from_json(text: str, source: str = "snapshot") -> Schema:
    try:
        doc = json.loads(text)
        if doc.get("gen_snapshot") != FORMAT:
            raise ValueError(f"unknown snapshot format {doc.get('gen_snapshot')!r}")
        return _build(Schema, doc["schema"])
    except (ValueError, KeyError, TypeError) as exc:
        raise GenError([Diagnostic("MG005", f"{source}: cannot read the model snapshot: {exc}",
                                   name="migrate.snapshot",
                                   hint="snapshots are written by `gen migrate new`; restore it from version control")]
                       ) from None
