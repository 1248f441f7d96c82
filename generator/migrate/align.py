"""Align an inspected model with a declared one: every live object that means the same as its
declared counterpart (compared normalized, the declared side in the server's own spelling) is
replaced by the declared object itself. A plain diff of the aligned model against the spec
then lists only real differences, and renders them from the spec's own text."""
from __future__ import annotations

from dataclasses import replace

from generator.model import Schema, Table
from generator.postgres.normalize import normalize, normalize_function, normalize_table, normalize_view

_PARTS = ("columns", "foreign_keys", "uniques", "checks", "indexes", "policies", "triggers")


def _same(live_items, live_norm, want_items, want_norm, key) -> tuple:
    """live_items, each replaced by the wanted item with the same key when their normal forms agree."""
    wanted = {key(n): (n, raw) for n, raw in zip(want_norm, want_items)}
    out = []
    for raw, n in zip(live_items, live_norm):
        match = wanted.get(key(n))
        out.append(match[1] if match is not None and match[0] == n else raw)
    return tuple(out)


def _table(live: Table, want: Table, want_sf: Table, version: int) -> Table:
    ln, wn = normalize_table(live, version), normalize_table(want_sf, version)
    fields = {}
    for part in _PARTS:
        by_name = {x.name: x for x in getattr(ln, part)}
        pairs = [(raw, by_name.get(raw.name)) for raw in getattr(live, part)]
        wanted = {x.name: (x, raw) for x, raw in zip(getattr(wn, part), getattr(want, part))}
        fields[part] = tuple(wanted[raw.name][1] if n is not None and raw.name in wanted and wanted[raw.name][0] == n
                             else raw for raw, n in pairs)
    if ln.primary_key == wn.primary_key:
        fields["primary_key"] = want.primary_key
    if ln.grants == wn.grants:
        fields["grants"] = want.grants
    for name in ("comment", "rls_enabled", "rls_forced"):
        if getattr(ln, name) == getattr(wn, name):
            fields[name] = getattr(want, name)
    return replace(live, meta=want.meta, **fields)


def align(live: Schema, want: Schema, want_sf: Schema) -> Schema:
    """`live` with the objects that equal `want`'s (judged on `want_sf`, the same model in the
    server's spelling) taken from `want`."""
    version = live.settings.version
    wanted = {t.key: (t, sf) for t, sf in zip(want.tables, want_sf.tables)}
    tables = tuple(_table(t, *wanted[t.key], version) if t.key in wanted else t for t in live.tables)
    views_sf = {v.key: (v, sf) for v, sf in zip(want.views, want_sf.views)}
    views = tuple(views_sf[v.key][0] if v.key in views_sf and normalize_view(v, version) ==
                  normalize_view(views_sf[v.key][1], version) else v for v in live.views)
    functions = _same(live.functions, [normalize_function(f) for f in live.functions], want.functions,
                      [normalize_function(f) for f in want.functions], lambda f: f.key)
    enums = tuple(next((e for e in want.enums if e == v), v) for v in live.enums)
    ln, wn = normalize(replace(live, tables=(), views=(), functions=())), \
        normalize(replace(want, tables=(), views=(), functions=()))
    extensions = want.extensions if ln.extensions == wn.extensions else live.extensions
    schemas = want.schemas if ln.schemas == wn.schemas else live.schemas
    return replace(live, name=want.name, tables=tables, views=views, functions=functions, enums=enums,
                   extensions=extensions, schemas=schemas, settings=want.settings)
