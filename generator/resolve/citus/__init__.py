"""Citus: place every table (distributed by the tenant column, reference, local; or one
distributed schema per tenant), make what gen can safe by construction, then check the rules
Citus enforces, each with the spec location it comes from (RS160-RS175; docs/scale-out.md)."""
from __future__ import annotations

from generator.model import Citus, Placement, Schema, replace
from generator.resolve.citus.adjust import adjust
from generator.resolve.citus.placement import layout_of, place
from generator.resolve.citus.rules_keys import (check_distribution_column, check_keys, check_partitioning,
                                                check_reference_tenant_rows, check_sequences)
from generator.resolve.citus.rules_refs import check_colocation, check_policies, check_references
from generator.resolve.citus.rules_schema import check_schema_sharding
from generator.resolve.context import Ctx
from generator.resolve.expressions import unwrap_scalar_selects

ROW_RULES = (check_keys, check_distribution_column, check_partitioning, check_sequences, check_reference_tenant_rows,
             check_references, check_policies, check_colocation)
SCHEMA_RULES = (check_schema_sharding, check_policies, check_sequences)


def citus(ctx: Ctx, schema: Schema) -> Schema:
    """The schema as it deploys on Citus (placements set, keys made Citus-safe), after every
    rule it breaks has been reported to ctx.diags."""
    if not ctx.citus:
        return schema
    mode = "schema" if schema.settings.tenant_schema else "row"
    settings = replace(schema.settings, citus=Citus(ctx.citus, mode, layout_of(ctx).shard_count))
    schema = _bare_policies(replace(schema, settings=settings))
    if mode == "schema":
        tables = tuple(replace(t, meta=replace(t.meta, placement=Placement("schema", loc=t.loc)))
                       for t in schema.tables)
        schema = replace(schema, tables=tables)
        for rule in SCHEMA_RULES:
            rule(ctx, schema)
        return schema
    schema = adjust(ctx, place(ctx, schema))
    for rule in ROW_RULES:
        rule(ctx, schema)
    placements = tuple((t.schema, t.name, p.kind, p.column or "") for t in schema.tables
                       if (p := t.meta.placement) is not None)
    return replace(schema, settings=replace(schema.settings, citus=replace(settings.citus, placements=placements)))


def _bare_policies(schema: Schema) -> Schema:
    """Policies without `(SELECT f())` wrappers, which Citus refuses as subqueries (the spec's
    own included: they mean the same bare)."""
    def bare(p):
        using = unwrap_scalar_selects(p.using) if p.using else p.using
        check = unwrap_scalar_selects(p.check) if p.check else p.check
        return p if (using, check) == (p.using, p.check) else replace(p, using=using, check=check)
    return replace(schema, tables=tuple(replace(t, policies=tuple(bare(p) for p in t.policies))
                                        for t in schema.tables))
