"""Where each table sits on Citus (row-based sharding): tenant tables distributed by the tenant
column and colocated with one anchor (the tenant root, distributed by its key, unless the
layout makes it a reference table), every other table a reference table, unless the spec's
`tenancy.citus` lists it under `reference:` or `local:`."""
from __future__ import annotations

import difflib

from generator.model import Placement, Schema, Table, replace
from generator.model.naming import qualified
from generator.resolve.context import Ctx
from generator.spec.schema import CitusLayout

LAYOUT = ("tenancy", "citus")


def layout_of(ctx: Ctx) -> CitusLayout:
    t = ctx.tenancy_block
    return (t.citus if t is not None and t.citus else None) or CitusLayout()


def listed(ctx: Ctx, which: str) -> dict[str, str]:
    """`reference:` / `local:` as entity key -> reason ("" when the list form gives none);
    unknown keys are RS172."""
    raw = getattr(layout_of(ctx), which)
    items = {k: "" for k in raw} if isinstance(raw, list) else dict(raw)
    for key in items:
        if key not in ctx.entities and "." not in key:
            close = difflib.get_close_matches(key, list(ctx.entities), n=1)
            ctx.error("RS172", f"tenancy.citus.{which} names unknown entity '{key}'", LAYOUT + (which,),
                      (f"did you mean '{close[0]}'? " if close else "") + "list entity keys")
    return items


def place(ctx: Ctx, schema: Schema) -> Schema:
    """The schema with every table's meta.placement set (row mode)."""
    reference, local = listed(ctx, "reference"), listed(ctx, "local")
    for key in sorted(set(reference) & set(local)):
        ctx.error("RS172", f"'{key}' is listed both as a reference and as a local table", LAYOUT,
                  "a table has one placement: keep one of the two")
    tenancy = schema.tenancy
    if tenancy is None:
        where = ("database", "citus") if ctx.spec.database.citus else ()
        ctx.error("RS160", "Citus distributes tables by the tenant column, and this spec has no tenancy: every "
                  "table would be a reference table (a copy on every node), nothing would be sharded", where,
                  "declare `tenancy: {root: ..., column: ...}` with tenant entities, or one schema per tenant "
                  "(`tenancy: {mode: schema}`, Citus schema-based sharding)")
    root_key = next((t.meta.entity for t in schema.tables if tenancy and t.name == tenancy.root
                     and t.schema == ctx.schema_name), None)
    decided = {t.key: _decide(ctx, t, root_key, reference, local) for t in schema.tables}
    anchor = _anchor(schema, decided, root_key)
    tables = []
    for t in schema.tables:
        p = decided[t.key]
        if p.kind == "distributed" and anchor is not None and t.key != anchor.key:
            p = replace(p, colocate_with=qualified(anchor.schema, anchor.name, default_schema=""))
        tables.append(replace(t, meta=replace(t.meta, placement=p)))
    return replace(schema, tables=tuple(tables))


def _decide(ctx: Ctx, t: Table, root_key: str | None, reference: dict, local: dict) -> Placement:
    key = t.meta.entity
    where = ctx.loc(*LAYOUT)
    if key in local:
        return Placement("local", reason=local[key], loc=where)
    if key in reference:
        return Placement("reference", reason=reference[key], loc=where)
    if t.partition_of:                     # partitions go where their parent goes (placed when it is)
        return Placement("partition")
    if key is not None and key == root_key:
        if layout_of(ctx).root == "reference":
            return Placement("reference", reason="the tenant root (tenancy.citus.root: reference)", loc=where)
        pk = t.primary_key.columns if t.primary_key else ()
        if len(pk) != 1:
            ctx.error("RS171", f"the tenant root '{t.name}' is distributed by its key, which must be one column "
                      f"(it has {len(pk)})", ("entities", key, "primary_key") if ctx.spec.entities[key].primary_key
                      else ("entities", key),
                      "give it a one-column primary key, or make it a reference table: "
                      "`tenancy: {citus: {root: reference}}`")
            return Placement("reference")
        return Placement("distributed", pk[0], loc=t.loc)
    if t.meta.tenant_column:
        return Placement("distributed", t.meta.tenant_column, loc=t.loc)
    return Placement("reference", loc=t.loc)


def _anchor(schema: Schema, decided: dict, root_key: str | None) -> Table | None:
    """The table the distributed ones colocate with: the root when distributed, else the first
    distributed table in spec order."""
    distributed = [t for t in schema.tables if decided[t.key].kind == "distributed"]
    return next((t for t in distributed if t.meta.entity == root_key), distributed[0] if distributed else None)


def effective(schema: Schema, t: Table) -> Placement | None:
    """A table's placement; a partition's is its parent's."""
    seen = 0
    while t is not None and t.meta.placement and t.meta.placement.kind == "partition" and seen < 8:
        t, seen = next((x for x in schema.tables if x.qname == t.partition_of), None), seen + 1
    return t.meta.placement if t is not None else None


def kind(schema: Schema, t: Table) -> str | None:
    p = effective(schema, t)
    return p.kind if p else None
