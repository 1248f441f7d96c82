"""Shape validation: runs the pydantic spec models over loaded YAML and turns pydantic's
errors into located diagnostics with "did you mean" hints."""
from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from generator.diagnostics import Diagnostic, GenError
from generator.spec.loader import LoadedSpec, paused_gc
from generator.spec.schema import SpecFile

TYPE_ERRORS = {"string_type", "list_type", "dict_type", "model_type", "model_attributes_type",
               "bool_parsing", "bool_type", "int_parsing", "int_type"}


class ShapeError(GenError):
    """Shape errors, with the data path of each so the rest of the spec can still be checked."""

    def __init__(self, found: list[tuple[Diagnostic, tuple]]):
        super().__init__([d for d, _ in found])
        self.paths = [p for _, p in found]


def validate_shape(loaded: LoadedSpec) -> SpecFile:
    try:
        with paused_gc():
            return SpecFile.model_validate(loaded.data)
    except ValidationError as exc:
        raise ShapeError(_diagnostics(exc, loaded)) from None


# Sections whose entries are independent: a broken entry can be left out and the rest checked.
KEYED_SECTIONS = ("entities", "enums", "traits", "views", "functions", "seed", "roles", "grants", "queries")
REQUIRED = ("spec", "name", "entities")


def salvage(loaded: LoadedSpec, error: ShapeError) -> tuple[SpecFile | None, set[str]]:
    """The spec without the pieces that failed shape validation, and the names left out, so
    that semantic checks can run on the rest; (None, …) when too little is left."""
    data = dict(loaded.data)
    dropped: set[str] = set()
    drop_items: dict[str, set[int]] = {}
    for path in error.paths:
        if not path:
            return None, dropped
        head = path[0]
        if head in KEYED_SECTIONS and len(path) >= 2 and isinstance(data.get(head), dict):
            data[head] = {k: v for k, v in data[head].items() if k != path[1]}
            dropped.add(str(path[1]))
        elif head == "relations" and len(path) >= 2 and isinstance(path[1], int):
            drop_items.setdefault(head, set()).add(path[1])
        elif head in REQUIRED:
            return None, dropped
        else:
            data.pop(head, None)
            dropped.add(str(head))
    for key, idx in drop_items.items():
        data[key] = [v for i, v in enumerate(data.get(key) or []) if i not in idx]
    try:
        return SpecFile.model_validate(data), dropped
    except ValidationError:
        return None, dropped


# Follow-on errors of a left-out top-level section.
_FOLLOW_ON = {"tenancy": ("RS036", "RS040", "RS041"), "auth": ("RS030", "RS038")}


def follows_from(d: Diagnostic, dropped: set[str]) -> bool:
    """True for a semantic error that only exists because a broken piece was left out."""
    if any(d.code in _FOLLOW_ON.get(name, ()) for name in dropped):
        return True
    return any(f"'{name}'" in d.message for name in dropped)


def _data_path(data: Any, loc: tuple) -> tuple[tuple, tuple]:
    """Split pydantic's loc into the path inside the data and the union branch tags it
    passed through (like 'str' or 'ColumnFull')."""
    path, tags, node = [], [], data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(part, str) and ("[" in part or part[:1].isupper() or part in ("str", "bool", "int")):
            tags.append(part)
        else:
            path.append(part)  # a key that is missing or unknown
            node = None
    return tuple(path), tuple(tags)


def _models_in(annotation) -> list:
    """BaseModel classes an annotation can hold directly, and its list/dict item annotations."""
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out = []
    for arg in typing.get_args(annotation):
        out += _models_in(arg)
    return out


def _model_at(path: tuple) -> type[BaseModel] | None:
    """The spec model that holds the mapping at `path` (walking field annotations)."""
    import typing

    annotation = SpecFile
    for part in path:
        models = [m for m in _models_in(annotation) if isinstance(part, str)]
        field = None
        for m in models:
            f = next((f for n, f in m.model_fields.items() if (f.alias or n) == part), None)
            if f is not None:
                field = f
                break
        if field is not None:
            annotation = field.annotation
            continue
        # a dict key or list index: step into the container's item type
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        items = []
        for a in args or [annotation]:
            inner = typing.get_args(a)
            items.append(inner[-1] if inner else a)
        annotation = typing.Union[tuple(items)] if len(items) > 1 else (items[0] if items else None)
    found = _models_in(annotation)
    return found[0] if found else None


def _allowed_keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _pick(errors: list[dict], data: Any) -> list[tuple[dict, tuple, tuple]]:
    """Keep the most telling error of each union: a wrong key inside a mapping beats
    'not a string' for the same value."""
    enriched = [(e, *_data_path(data, e["loc"])) for e in errors]
    specific_paths = {p for e, p, t in enriched if e["type"] not in TYPE_ERRORS}
    kept = []
    for e, path, tags in enriched:
        if e["type"] in TYPE_ERRORS and any(sp[: len(path)] == path and sp != path or sp == path
                                            for sp in specific_paths):
            continue
        kept.append((e, path, tags))
    seen, out = set(), []
    for e, path, tags in kept:
        key = (path, e["type"])
        if key not in seen:
            seen.add(key)
            out.append((e, path, tags))
    return out


def _diagnostics(exc: ValidationError, loaded: LoadedSpec) -> list[tuple[Diagnostic, tuple]]:
    diags = []
    split_seen = set()
    for e, path, tags in _pick(exc.errors(), loaded.data):
        dotted = ".".join(str(p) for p in path) or "spec"
        kind = e["type"]
        split = _split_by_comma(loaded.data, path) if path else None
        if split:
            if path not in split_seen:
                split_seen.add(path)
                key = path[-1]
                diags.append((Diagnostic("SP001", f"unknown key '{key}': inside `{{…}}` the comma of "
                                         f"`{split[1]},{key}` ends the value of '{split[0]}', and '{key}' becomes a "
                                         "key", loaded.loc(path, key=True), dotted,
                                         f"quote the value: `{split[0]}: \"{split[1]},{key}\"` (in a flow mapping "
                                         "a comma separates keys), or write the mapping in block style"), path))
            continue
        if kind == "extra_forbidden":
            key = str(path[-1])
            allowed = _allowed_keys(_model_at(path[:-1]))
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else ""
            if allowed:
                hint = (hint + " " if hint else "") + "allowed keys: " + ", ".join(allowed)
            diags.append((Diagnostic("SP001", f"unknown key '{key}'", loaded.loc(path, key=True), dotted, hint), path))
        elif kind == "missing":
            diags.append((Diagnostic("SP002", f"missing required key '{path[-1]}'", loaded.loc(path[:-1]),
                                    dotted, f"add '{path[-1]}:' here"), path))
        elif kind == "literal_error":
            expected = e.get("ctx", {}).get("expected", "")
            value = e.get("input")
            options = [o.strip().strip("'") for o in str(expected).replace(" or ", ",").split(",")]
            close = difflib.get_close_matches(str(value), options, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            diags.append((Diagnostic("SP003", f"'{value}' is not allowed here; expected {expected}",
                                    loaded.loc(path), dotted, hint + "use one of the listed values"), path))
        else:
            diags.append((Diagnostic("SP004", f"{e['msg']} (got {_short(e.get('input'))})", loaded.loc(path),
                                    dotted, _type_hint(kind)), path))
    return diags


def _split_by_comma(data: Any, path: tuple) -> tuple[str, str] | None:
    """(key, value) of the sibling an unquoted comma cut short in a flow mapping:
    `{type: numeric(14,2)}` reads as `type: numeric(14` and a key `2)`."""
    parent = data
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return None
    key = str(path[-1])
    if not isinstance(parent, dict) or parent.get(path[-1]) is not None or key.count(")") <= key.count("("):
        return None
    return next(((str(k), v) for k, v in parent.items()
                 if isinstance(v, str) and v.count("(") > v.count(")")), None)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_hint(kind: str) -> str:
    return {
        "string_type": "write a single value here",
        "list_type": "write a list here, e.g. [a, b]",
        "dict_type": "write a mapping here (key: value lines)",
        "model_type": "write a mapping here (key: value lines)",
        "bool_parsing": "write true or false",
        "int_parsing": "write a whole number",
    }.get(kind, "see docs/spec.md for this key")
