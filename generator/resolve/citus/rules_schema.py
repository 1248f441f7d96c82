"""Citus schema-based sharding (Citus 12+): each tenant schema is one shard group, so a table
in it may reference only its own schema or reference tables elsewhere, nothing outside may
reference it, and it may not inherit (RS175)."""
from __future__ import annotations

from generator.model import Schema
from generator.resolve.context import Ctx


def check_schema_sharding(ctx: Ctx, schema: Schema) -> None:
    template = schema.settings.tenant_schema
    layout = ctx.tenancy_block.citus if ctx.tenancy_block is not None and ctx.tenancy_block.citus else None
    reference = set(layout.reference) if layout else set()
    for t in schema.tables:
        if t.inherits:
            ctx.diags.add("RS175", f"{t.name}: tables in a distributed schema cannot inherit or be inherited",
                          t.loc, "citus.schema_sharding", "use declarative partitioning within the schema")
        for fk in t.foreign_keys:
            inside, target = t.schema == template, fk.ref_schema == template
            name = f"{fk.ref_schema}.{fk.ref_table}"
            if inside and not target and name not in reference:
                ctx.diags.add("RS175", f"{t.name} references {name}, outside the tenant schema: a distributed schema "
                              "may reference its own tables or reference tables in regular schemas", fk.loc or t.loc,
                              "citus.schema_sharding",
                              f"make {name} a reference table and list it under tenancy.citus.reference, or move it "
                              "into the tenant schema")
            elif target and not inside:
                ctx.diags.add("RS175", f"{t.name} (schema {t.schema}) references {fk.ref_table} in the tenant schema: "
                              "nothing outside a distributed schema may reference it", fk.loc or t.loc,
                              "citus.schema_sharding", "drop the key or move the table into the tenant schema")
