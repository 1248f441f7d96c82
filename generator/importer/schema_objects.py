"""Schema-wide objects of an import beyond tables, views and functions: sequences (those
`serial` does not make), collations, domains, composite and range types, aggregates, schema
comments and privileges."""
from __future__ import annotations

from generator.importer.context import ImportCtx
from generator.model.objects import sequence_bounds


def sequences(ctx: ImportCtx) -> dict:
    absorbed = set(ctx.serials.values())
    out: dict = {}
    for s in ctx.model.sequences:
        if s.key in absorbed:
            continue
        key = s.name if s.name not in out else f"{s.schema}_{s.name}"
        entry: dict = {"type": s.type} if s.type != "bigint" else {}
        low, high = sequence_bounds(s.type, s.increment)
        if s.increment != 1:
            entry["increment"] = s.increment
        if s.min_value != low:
            entry["min"] = s.min_value
        if s.max_value != high:
            entry["max"] = s.max_value
        if s.start != (s.min_value if s.increment > 0 else s.max_value):
            entry["start"] = s.start
        if s.cache != 1:
            entry["cache"] = s.cache
        if s.cycle:
            entry["cycle"] = True
        if s.unlogged:
            entry["unlogged"] = True
        if s.owned_by:
            table = ctx.keys.get(s.owned_by[:2])
            if table is not None:
                entry["owned_by"] = f"{table}.{s.owned_by[2]}"
        if s.schema != ctx.main:
            entry["schema"] = s.schema
        if s.comment:
            entry["description"] = s.comment
        out[key] = entry
    return out


def collations(ctx: ImportCtx) -> dict:
    out: dict = {}
    for c in ctx.model.collations:
        entry: dict = {}
        if c.provider != "libc":
            entry["provider"] = c.provider
        if c.locale is not None:
            entry["locale"] = c.locale
        else:
            entry.update(lc_collate=c.lc_collate, lc_ctype=c.lc_ctype)
        if not c.deterministic:
            entry["deterministic"] = False
        if c.schema != ctx.main:
            entry["schema"] = c.schema
        if c.comment:
            entry["description"] = c.comment
        out[c.name] = entry
    return out


def types(ctx: ImportCtx, type_text) -> dict:
    """Domains, composite and range types under their spec keys (see ImportCtx.type_keys)."""
    out: dict = {}
    for d in ctx.model.domains:
        entry: dict = {"domain": _spelled(ctx, d.base, type_text)}
        if d.not_null:
            entry["not_null"] = True
        if d.default is not None:
            entry["default"] = d.default
        if d.checks:
            entry["checks"] = {k.name: k.expression for k in d.checks}
        if d.collation:
            entry["collation"] = d.collation
        out[ctx.type_keys[d.key]] = _common(ctx, d, entry)
    for t in ctx.model.composites:
        entry = {"composite": {n: _spelled(ctx, typ, type_text) for n, typ in t.attributes}}
        out[ctx.type_keys[t.key]] = _common(ctx, t, entry)
    for r in ctx.model.ranges:
        entry = {"range": _spelled(ctx, r.subtype, type_text)}
        for k in ("subtype_diff", "subtype_opclass", "canonical", "collation", "multirange"):
            if getattr(r, k):
                entry[k] = getattr(r, k)
        out[ctx.type_keys[r.key]] = _common(ctx, r, entry)
    return out


def _common(ctx: ImportCtx, obj, entry: dict) -> dict:
    if ctx.type_keys[obj.key] != obj.name:
        entry = {"name": obj.name, **entry}
    if obj.schema != ctx.main:
        entry["schema"] = obj.schema
    if obj.comment:
        entry["description"] = obj.comment
    return entry


def _spelled(ctx: ImportCtx, sql: str, type_text) -> str:
    """A type PostgreSQL printed, in the spec's spelling where it has one (enums, declared types)."""
    from generator.db.types import parse_type
    try:
        return type_text(ctx, parse_type(sql)) or sql
    except Exception:       # a spelling the type parser does not read: kept as PostgreSQL printed it
        return sql


def aggregates(ctx: ImportCtx) -> dict:
    out: dict = {}
    for a in ctx.model.aggregates:
        key = a.name if a.name not in out else f"{a.name}_{len(out) + 1}"
        entry: dict = {"args": a.args, "sfunc": a.sfunc, "stype": a.stype}
        if key != a.name:
            entry["name"] = a.name
        if a.options:
            entry["options"] = {k.lower(): v for k, v in a.options}
        if a.schema != ctx.main:
            entry["schema"] = a.schema
        if a.comment:
            entry["description"] = a.comment
        out[key] = entry
    return out


def schemas(ctx: ImportCtx, entity_schemas: set[str]) -> list:
    """Schemas to create besides those the spec's objects live in, and any schema with a comment
    or privileges, in full form."""
    facts = {n.name: n for n in ctx.model.namespaces}
    names = sorted((set(ctx.schemas) - {"public", ctx.main} - entity_schemas) | set(facts))
    out: list = []
    for name in names:
        ns = facts.get(name)
        if ns is None:
            out.append(name)
            continue
        entry: dict = {"name": name}
        if ns.comment:
            entry["description"] = ns.comment
        if ns.grants:
            entry["grants"] = {role: [p.lower() for p in privs] for role, privs in ns.grants}
            ctx.roles.update(r for r, _ in ns.grants if r != "public")
        out.append(entry)
    return out
