"""One pass over the resolved model that checks every identifier it will emit: no control
characters (a newline in a name could end an SQL comment and start a statement) and at most
63 bytes (PostgreSQL would silently truncate)."""
from __future__ import annotations

import re

from generator.diagnostics import Collector, Location
from generator.model import Schema
from generator.model.naming import ident_too_long


def _names(schema: Schema):
    """(kind, name, location) of every identifier in the model."""
    for e in schema.extensions:
        yield "extension", e.name, e.loc
    for s in schema.schemas:
        yield "schema", s, None
    for r in schema.roles:
        yield "role", r.name, r.loc
    for e in schema.enums:
        yield "enum", e.name, e.loc
    for f in schema.functions:
        yield "function", f.name, f.loc
    for v in schema.views:
        yield "view", v.name, v.loc
    for t in schema.tables:
        yield "table", t.name, t.loc
        for c in t.columns:
            yield "column", c.name, c.loc or t.loc
        subs = [("primary key", t.primary_key)] if t.primary_key else []
        subs += [("foreign key", x) for x in t.foreign_keys] + [("unique constraint", x) for x in t.uniques]
        subs += [("check", x) for x in t.checks] + [("index", x) for x in t.indexes]
        subs += [("policy", x) for x in t.policies] + [("trigger", x) for x in t.triggers]
        for kind, obj in subs:
            yield kind, obj.name, obj.loc or t.loc
        for p in t.policies:
            for role in p.roles:
                yield "role", role, p.loc or t.loc
        for g in t.grants:
            yield "role", g.role, g.loc or t.loc


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def has_control_chars(name: str) -> bool:
    return _CONTROL.search(name) is not None  # a code point below 32, or 127


def check_identifiers(schema: Schema, diags: Collector, fallback: Location | None = None,
                      skip_long: set[str] | frozenset = frozenset()) -> None:
    """Report bad names; `skip_long` holds names already reported as too long (with a better position)."""
    seen = set()
    for kind, name, loc in _names(schema):
        if (kind, name) in seen:
            continue
        seen.add((kind, name))
        if has_control_chars(name):
            diags.add("RS012", f"{kind} name {name!r} contains a control character (newline, tab, …)",
                      loc or fallback, kind, "use printable characters only in names")
        elif not name:
            diags.add("RS012", f"an empty {kind} name", loc or fallback, kind, "give it a name")
        elif ident_too_long(name) and name not in skip_long:
            diags.add("RS010", f"{kind} name '{name}' is {len(name.encode())} bytes; PostgreSQL's limit is 63",
                      loc or fallback, kind, "choose a shorter name (PostgreSQL would silently truncate it)")
