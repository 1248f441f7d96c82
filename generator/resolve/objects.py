"""Resolve the spec's objects beyond entities: schemas with comments and privileges, collations,
domains, composite and range types, sequences (declared, and those serial columns own),
aggregates and raw SQL objects (the escape hatch), each with its location."""
from __future__ import annotations

from generator.model import (Aggregate, Collation, CompositeType, Domain, DomainCheck, Namespace, RangeType, RawSQL,
                             Sequence)
from generator.model.objects import sequence_bounds
from generator.resolve.context import Ctx
from generator.spec.schema import SchemaFull

USER_TYPE_KINDS = ("domain", "composite", "range")


def declare_types(ctx: Ctx) -> None:
    """Make the spec's types known to column type parsing (key -> (schema, name))."""
    for key, t in ctx.spec.types.items():
        ctx.user_types[key] = (t.schema_ or ctx.schema_name, t.name or key)


def namespaces(ctx: Ctx) -> tuple[tuple[str, ...], tuple[Namespace, ...]]:
    names, out = [], []
    for i, item in enumerate(ctx.spec.schemas):
        if isinstance(item, str):
            names.append(item)
            continue
        names.append(item.name)
        ns = _namespace(item)
        if ns != Namespace(item.name):
            out.append(Namespace(ns.name, ns.comment, ns.grants, ctx.loc("schemas", i)))
    return tuple(names), tuple(sorted(out, key=lambda n: n.name))


def _namespace(item: SchemaFull) -> Namespace:
    grants = tuple((role, tuple(sorted(p.upper() for p in privs))) for role, privs in sorted(item.grants.items()))
    return Namespace(item.name, item.description, grants)


def collations(ctx: Ctx) -> tuple[Collation, ...]:
    out = []
    for name, c in ctx.spec.collations.items():
        path = ("collations", name)
        ctx.check_name(name, "collation", path)
        if c.locale is None and not (c.lc_collate and c.lc_ctype):
            ctx.error("RS130", f"collation '{name}' needs `locale` (or lc_collate and lc_ctype)", path,
                      "e.g. `locale: und-u-ks-level2` with `provider: icu`")
            continue
        out.append(Collation(name, c.schema_ or ctx.schema_name, c.provider, c.locale,
                             None if c.locale else c.lc_collate, None if c.locale else c.lc_ctype, c.deterministic,
                             c.description, ctx.loc(*path)))
    return tuple(out)


def user_types(ctx: Ctx) -> tuple[tuple[Domain, ...], tuple[CompositeType, ...], tuple[RangeType, ...]]:
    domains, composites, ranges = [], [], []
    for key, t in ctx.spec.types.items():
        path = ("types", key)
        name = t.name or key
        ctx.check_name(name, "type", path)
        kinds = [k for k in USER_TYPE_KINDS if getattr(t, k) is not None]
        if len(kinds) != 1:
            ctx.error("RS131", f"type '{name}' must be exactly one of domain, composite or range", path,
                      "e.g. `{domain: integer, checks: {positive: VALUE > 0}}`")
            continue
        schema, loc = t.schema_ or ctx.schema_name, ctx.loc(*path)
        if t.domain is not None:
            checks = []
            for cname, expr in t.checks.items():
                checked = ctx.expr(expr, path + ("checks", cname), f"check {cname} of domain {name}")
                if checked:
                    checks.append(DomainCheck(cname, checked))
            default = ctx.expr(t.default, path + ("default",), f"default of domain {name}") if t.default else None
            domains.append(Domain(name, _type_sql(ctx, t.domain), schema, t.not_null, default,
                                  tuple(sorted(checks, key=lambda c: c.name)), t.collation, t.description, loc))
        elif t.composite is not None:
            attrs = tuple((a, _type_sql(ctx, typ)) for a, typ in t.composite.items())
            composites.append(CompositeType(name, attrs, schema, t.description, loc))
        else:
            ranges.append(RangeType(name, _type_sql(ctx, t.range), schema, t.subtype_opclass, t.collation, t.canonical,
                                    t.subtype_diff, t.multirange, t.description, loc))
    return tuple(domains), tuple(composites), tuple(ranges)


def _type_sql(ctx: Ctx, text: str) -> str:
    """A type as SQL: spec spellings (`timestamptz`, enums, declared types) become PostgreSQL's."""
    from generator.resolve.columns import ColumnSyntaxError, parse_type
    try:
        return parse_type(text, ctx.enums, ctx.user_types)[0].sql
    except ColumnSyntaxError:
        return text.strip()


def sequences(ctx: Ctx) -> list[Sequence]:
    out = []
    for name, s in ctx.spec.sequences.items():
        path = ("sequences", name)
        ctx.check_name(name, "sequence", path)
        low, high = sequence_bounds(s.type, s.increment)
        lo = s.min if s.min is not None else low
        hi = s.max if s.max is not None else high
        start = s.start if s.start is not None else (lo if s.increment > 0 else hi)
        owner = _owner(ctx, s.owned_by, path) if s.owned_by else None
        out.append(Sequence(name, s.schema_ or ctx.schema_name, s.type, start, s.increment, lo, hi, s.cache, s.cycle,
                            owner, s.description, ctx.loc(*path), unlogged=s.unlogged))
    return out


def _owner(ctx: Ctx, text: str, path: tuple) -> tuple[str, str, str] | None:
    entity, _, column = text.rpartition(".")
    info = ctx.entities.get(entity)
    if info is None or not column:
        ctx.error("RS132", f"owned_by '{text}' does not name entity.column", path + ("owned_by",),
                  "write e.g. `owned_by: films.id`")
        return None
    return (info.schema, info.table, column)


def serial_sequence(ctx: Ctx, schema: str, table: str, column: str, type_: str, unlogged: bool = False) -> Sequence:
    """The sequence a serial column owns, named as PostgreSQL names it (<table>_<column>_seq)."""
    from generator.model.naming import shorten
    low, high = sequence_bounds(type_)
    return Sequence(shorten(f"{table}_{column}_seq"), schema, type_, low, 1, low, high, 1, False,
                    (schema, table, column), unlogged=unlogged and ctx.spec.database.version >= 15)


def aggregates(ctx: Ctx) -> tuple[Aggregate, ...]:
    out = []
    for key, a in ctx.spec.aggregates.items():
        path = ("aggregates", key)
        options = tuple(sorted((k.upper(), str(v)) for k, v in a.options.items()))
        out.append(Aggregate(a.name or key, a.args, a.sfunc, a.stype, a.schema_ or ctx.schema_name, options,
                             a.description, ctx.loc(*path)))
    return tuple(out)


def raw_objects(ctx: Ctx) -> tuple[RawSQL, ...]:
    """Raw SQL objects with their dependencies as `schema.name` (entity keys become their tables)."""
    out = []
    for name, r in ctx.spec.sql.items():
        path = ("sql", name)
        after = []
        for dep in r.after:
            info = ctx.entities.get(dep)
            if info is not None:
                after.append(f"{info.schema}.{info.table}")
            elif "." in dep or dep in ctx.spec.sql:
                after.append(dep)
            else:
                after.append(f"{ctx.schema_name}.{dep}")
        out.append(RawSQL(name, r.create, r.drop, tuple(after), ctx.loc(*path)))
    return tuple(out)
