"""Citus rules on the tables themselves: keys include the distribution column (RS161), the
distribution column is never NULL (RS162) and can be hashed (RS168), partitioning and
inheritance Citus supports (RS169), identity and serial columns (RS174), tenant rows copied to
every node only for a stated reason (RS173, a warning)."""
from __future__ import annotations

from generator.model import Schema, Table
from generator.model.naming import quote_ident
from generator.resolve.citus.placement import effective
from generator.resolve.context import Ctx

# Types without a default hash operator class: Citus cannot hash-distribute by them.
UNHASHABLE = frozenset({"json", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle", "tsvector",
                        "tsquery", "txid_snapshot", "pg_snapshot"})


def _dist(schema: Schema, t: Table) -> str | None:
    p = effective(schema, t)
    return p.column if p is not None and p.kind == "distributed" else None


def check_keys(ctx: Ctx, schema: Schema) -> None:
    """RS161: Citus enforces a primary key, unique key or exclusion constraint shard by shard,
    so each must include the distribution column (an exclusion: compared with `=`)."""
    for t in schema.tables:
        d = _dist(schema, t)
        if d is None:
            continue
        keys = [("primary key", t.primary_key.columns, t.primary_key.loc or t.loc)] if t.primary_key else []
        keys += [(f"unique key {u.name}", u.columns, u.loc or t.loc) for u in t.uniques]
        keys += [(f"unique index {i.name}", i.columns, i.loc or t.loc) for i in t.indexes if i.unique]
        for what, cols, loc in keys:
            if d not in cols:
                _report(ctx, t, what, cols, d, loc)
        for x in t.exclusions:
            if not any(e.column == d and e.operator == "=" for e in x.elements):
                ctx.diags.add("RS161", f"{t.name}: exclusion constraint {x.name} does not compare the distribution "
                              f"column {d} with `=`: Citus checks it within one shard only", x.loc or t.loc,
                              "citus.key_without_distribution_column",
                              f"add `{d} WITH =` to the constraint, or place {t.name} as a reference table")


def _report(ctx: Ctx, t: Table, what: str, cols: tuple[str, ...], d: str, loc) -> None:
    listed = ", ".join(cols) or "an expression"
    ctx.diags.add("RS161", f"{t.name}: the {what} ({listed}) does not include the distribution column {d}: "
                  "Citus enforces it within one shard only, so it cannot hold across tenants", loc,
                  "citus.key_without_distribution_column",
                  f"make it per tenant ({d}, {listed}) if that is what it means, or keep {t.name} whole as a "
                  "reference table (tenancy.citus.reference, with the reason)")


def check_distribution_column(ctx: Ctx, schema: Schema) -> None:
    """RS162: a distribution column may not hold NULL (Citus refuses the row); RS168: it must
    have a hash function, be a plain (not generated) column, and not use a nondeterministic
    collation."""
    nondeterministic = {c.name for c in schema.collations if not c.deterministic}
    for t in schema.tables:
        d = _dist(schema, t)
        col = t.column(d) if d else None
        if col is None or t.partition_of:
            continue
        if col.nullable:
            ctx.diags.add("RS162", f"{t.name}: the distribution column {d} may be NULL (tenant: {{required: false}}): "
                          "Citus refuses a row whose distribution column is NULL", col.loc or t.loc,
                          "citus.nullable_distribution_column",
                          f"place {t.meta.entity or t.name} as a reference table (tenancy.citus.reference, with the "
                          "reason: rows of no tenant) or local table, or make the tenant column required")
        if col.type.base in UNHASHABLE or col.type.array_dims and col.type.base in UNHASHABLE:
            ctx.diags.add("RS168", f"{t.name}: Citus cannot hash the distribution column {d} of type {col.type.sql}",
                          col.loc or t.loc, "citus.distribution_column_type", "distribute by a uuid, bigint or text column")
        if col.generated:
            ctx.diags.add("RS168", f"{t.name}: the distribution column {d} is generated; Citus distributes by stored "
                          "values the row is written with", col.loc or t.loc, "citus.distribution_column_type",
                          "make it a plain column")
        if col.collation and col.collation.split(".")[-1].strip('"') in nondeterministic:
            ctx.diags.add("RS168", f"{t.name}: the distribution column {d} uses the nondeterministic collation "
                          f"{col.collation}; Citus hashes bytes", col.loc or t.loc, "citus.distribution_column_type",
                          "use a deterministic collation for the tenant column")


def _at(ctx: Ctx, t: Table, key: str):
    """Where the entity says `key` (partition_by, inherits), else the table."""
    if t.meta.entity and t.meta.entity in ctx.spec.entities:
        return ctx.loc("entities", t.meta.entity, key) or t.loc
    return t.loc


def check_partitioning(ctx: Ctx, schema: Schema) -> None:
    """RS169: Citus distributes a partitioned table by hash only (no partitioned reference or
    local table), one level of partitioning, and no table inheritance."""
    for t in schema.tables:
        p = effective(schema, t)
        if p is None:
            continue
        if t.partition_by and p.kind in ("reference", "local") and not t.partition_of:
            ctx.diags.add("RS169", f"{t.name}: a partitioned table can only be a distributed table on Citus, not a "
                          f"{p.kind} table", _at(ctx, t, "partition_by"), "citus.partitioning",
                          "distribute it (make the entity tenant-scoped) or drop `partition_by`")
        if t.partition_by and t.partition_of and p.kind == "distributed":
            ctx.diags.add("RS169", f"{t.name}: Citus does not distribute multi-level partitioning (a partition that "
                          "is partitioned itself)", _at(ctx, t, "partition_by"), "citus.partitioning",
                          "partition one level only")
        if t.inherits or any(t.qname in x.inherits for x in schema.tables):
            ctx.diags.add("RS169", f"{t.name}: Citus does not support table inheritance (INHERITS)",
                          _at(ctx, t, "inherits") if t.inherits else t.loc,
                          "citus.partitioning", "use declarative partitioning (partition_by / partition_of)")


def check_sequences(ctx: Ctx, schema: Schema) -> None:
    """RS174: on Citus an identity column must be bigint; a smallint/integer serial on a
    distributed table can be fed from the coordinator only (a warning)."""
    for t in schema.tables:
        p = effective(schema, t)
        if p is None or p.kind == "local":
            continue
        for c in t.columns:
            small = c.type.base in ("smallint", "integer")
            if c.identity and small:
                ctx.diags.add("RS174", f"{t.name}.{c.name}: Citus allows identity columns of type bigint only",
                              c.loc or t.loc, "citus.sequence_type", "declare it bigint")
            elif small and c.default and "nextval(" in c.default and p.kind == "distributed":
                ctx.diags.add("RS174", f"{t.name}.{c.name}: an {c.type.sql} serial on a distributed table: Citus lets "
                              "only the coordinator draw from it (workers would run out of range)", c.loc or t.loc,
                              "citus.sequence_type", "use bigserial / bigint, or a uuid key", severity="warning")


def check_reference_tenant_rows(ctx: Ctx, schema: Schema) -> None:
    """RS173 (warning): a tenant table placed as a reference table puts every tenant's rows on
    every node, and each write runs on every node; isolation then rests on RLS alone. Say why."""
    for t in schema.tables:
        p = effective(schema, t)
        if p is None or p.kind != "reference" or not t.meta.tenant_column or p.reason or t.partition_of:
            continue
        ctx.diags.add("RS173", f"{t.name} holds tenant rows but is placed as a reference table: every tenant's rows "
                      "are copied to every node and each write takes every node; isolation rests on RLS alone",
                      p.loc or t.loc, "citus.reference_tenant_rows",
                      f"say why in tenancy.citus.reference ({t.meta.entity}: \"...\"), or let it be distributed by "
                      f"{quote_ident(t.meta.tenant_column)}", severity="warning")
