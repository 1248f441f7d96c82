"""A structural comparer for two (normalized) models that names what differs: which table,
column, index, constraint, policy, trigger, function, enum, view or extension, and which field."""
from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass

from generator.model import Schema, Table


@dataclass(frozen=True)
class Difference:
    kind: str        # table | column | index | constraint | policy | trigger | grant | function | ...
    name: str        # e.g. shop_orders.status
    problem: str     # "missing in database", "not in spec", "default: 'a' (spec) vs 'b' (database)"


def _label(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}.{name}"


def _fields(obj) -> list[str]:
    return [f.name for f in fields(obj) if f.compare]


def _show(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return "(" + ", ".join(value) + ")"
    if is_dataclass(value) and hasattr(value, "sql"):
        return value.sql
    return repr(value) if isinstance(value, str) else str(value)


def field_changes(want, got) -> list[str]:
    """`field: <spec> (spec) vs <database> (database)` for every compared field that differs."""
    return [f"{name}: {_show(getattr(want, name))} (spec) vs {_show(getattr(got, name))} (database)"
            for name in _fields(want) if getattr(want, name) != getattr(got, name)]


def _keyed(kind: str, prefix: str, want, got, key, name) -> list[Difference]:
    w = {key(x): x for x in want}
    g = {key(x): x for x in got}
    out = []
    for k, x in w.items():
        label = prefix + name(x)
        if k not in g:
            out.append(Difference(kind, label, "missing in database"))
        elif x != g[k]:
            out += [Difference(kind, label, c) for c in field_changes(x, g[k])] or \
                   [Difference(kind, label, "differs")]
    out += [Difference(kind, prefix + name(x), "in database but not in spec") for k, x in g.items() if k not in w]
    return out


def _by_name(kind: str, prefix: str, want, got) -> list[Difference]:
    return _keyed(kind, prefix, want, got, lambda x: x.name, lambda x: x.name)


def compare_tables(want: Table, got: Table) -> list[Difference]:
    p = _label(want.schema, want.name) + "."
    out = _by_name("column", p, want.columns, got.columns)
    if not out and tuple(c.name for c in want.columns) != tuple(c.name for c in got.columns):
        out.append(Difference("table", p[:-1], "column order differs: ("
                              + ", ".join(c.name for c in want.columns) + ") (spec) vs ("
                              + ", ".join(c.name for c in got.columns) + ") (database)"))
    pk_w = (want.primary_key,) if want.primary_key else ()
    pk_g = (got.primary_key,) if got.primary_key else ()
    out += _by_name("primary key", p, pk_w, pk_g)
    out += _by_name("foreign key", p, want.foreign_keys, got.foreign_keys)
    out += _by_name("unique constraint", p, want.uniques, got.uniques)
    out += _by_name("check constraint", p, want.checks, got.checks)
    out += _by_name("index", p, want.indexes, got.indexes)
    out += _by_name("policy", p, want.policies, got.policies)
    out += _by_name("trigger", p, want.triggers, got.triggers)
    out += _keyed("grant", p, want.grants, got.grants, lambda g: g.role, lambda g: g.role)
    for name in ("comment", "rls_enabled", "rls_forced", "publications", "replica_identity"):
        if getattr(want, name) != getattr(got, name):
            out.append(Difference("table", p[:-1], f"{name}: {_show(getattr(want, name))} (spec) vs "
                                  f"{_show(getattr(got, name))} (database)"))
    return out


def compare(want: Schema, got: Schema) -> list[Difference]:
    """Every difference between the declared (`want`) and the inspected (`got`) model."""
    out = _keyed("table", "", want.tables, got.tables, lambda t: t.key, lambda t: _label(t.schema, t.name))
    out = [d for d in out if d.problem in ("missing in database", "in database but not in spec")]
    got_tables = got.tables_by_key
    for t in want.tables:
        if t.key in got_tables and t != got_tables[t.key]:
            out += compare_tables(t, got_tables[t.key]) or [Difference("table", t.name, "differs")]
    out += _keyed("enum", "", want.enums, got.enums, lambda e: e.key, lambda e: _label(e.schema, e.name))
    out += _keyed("extension", "", want.extensions, got.extensions, lambda e: e.name, lambda e: e.name)
    out += _keyed("function", "", want.functions, got.functions, lambda f: f.key,
                  lambda f: f"{_label(f.schema, f.name)}({f.args})")
    out += _keyed("view", "", want.views, got.views, lambda v: v.key, lambda v: _label(v.schema, v.name))
    out += _keyed("schema", "", [(s,) for s in want.schemas], [(s,) for s in got.schemas],
                  lambda s: s[0], lambda s: s[0])
    if not out and want != got:
        out.append(Difference("schema", want.name, "the models differ in a field the comparer does not name"))
    return out
