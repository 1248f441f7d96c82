"""Tenancy modes. Row mode (the default) needs a root and a tenant column. Schema mode keeps
one PostgreSQL schema per tenant: the spec is written once for the template schema
`{tenant}` (database.schema), every object lives in it, and each tenant's copy is the same DDL
with the tenant's schema name in place of `{tenant}` (role names may carry it too)."""
from __future__ import annotations

from generator.model import TENANT_PLACEHOLDER, Schema, replace
from generator.resolve.context import Ctx
from generator.spec.schema import SpecFile, Tenancy

ROW_ONLY = ("root", "column", "setting", "current")


def prepare(spec: SpecFile) -> tuple[SpecFile, Tenancy | None]:
    """The spec the row-tenancy machinery sees (no tenancy in schema mode, or when row mode
    lacks its root/column: reported by `check`), and the spec's tenancy block."""
    t = spec.tenancy
    if t is None:
        return spec, None
    if t.mode == "row" and t.root and t.column:
        return spec, t
    db = spec.database
    if t.mode == "schema" and "schema_" not in db.model_fields_set:
        db = db.model_copy(update={"schema_": TENANT_PLACEHOLDER})
    return spec.model_copy(update={"tenancy": None, "database": db}), t


def check(ctx: Ctx, schema: Schema) -> Schema:
    """Report what the tenancy mode rules out; in schema mode, record the template schema."""
    t = ctx.tenancy_block
    if t is None:
        return schema
    if t.mode == "row":
        if not (t.root and t.column):
            ctx.error("RS042", "row tenancy needs `root` (the tenant entity) and `column` (the tenant column)",
                      ("tenancy",), "add `root: companies` and `column: company_id`, or `mode: schema` for one "
                      "schema per tenant")
        return schema
    template = ctx.schema_name
    if TENANT_PLACEHOLDER not in template:
        ctx.error("RS043", f"schema mode: database.schema '{template}' must contain {TENANT_PLACEHOLDER} (the "
                  "tenant's schema name goes there)", ("database", "schema"), f"write `schema: \"{TENANT_PLACEHOLDER}\"`")
    for key in ROW_ONLY:
        if getattr(t, key):
            ctx.error("RS043", f"schema mode has no tenant column: `tenancy.{key}` does not apply", ("tenancy", key),
                      "drop it (each tenant has its own schema), or use `mode: row`")
    for key, ent in ctx.spec.entities.items():
        if ent.tenant:
            ctx.error("RS045", f"entity '{key}' is `tenant: true`, but in schema mode every entity belongs to the "
                      "tenant of its schema", ("entities", key, "tenant"), "drop `tenant: true`")
    _outside(ctx, schema, template)
    return replace(schema, settings=replace(schema.settings, tenant_schema=template))


def _outside(ctx: Ctx, schema: Schema, template: str) -> None:
    """RS044: every object of a schema-per-tenant spec lives in the tenant schema (shared
    tables belong to another spec, applied once per database, referenced as schema.table)."""
    objects = [("table", t.name, t.schema, t.loc) for t in schema.tables]
    objects += [("view", v.name, v.schema, v.loc) for v in schema.views]
    objects += [("function", f.name, f.schema, f.loc) for f in schema.functions]
    objects += [("enum", e.name, e.schema, e.loc) for e in schema.enums]
    for what, name, sch, loc in objects:
        if sch != template:
            ctx.diags.add("RS044", f"schema mode: the {what} {name} is in schema {sch}, not in the tenant schema "
                          f"{template}", loc, "tenancy.schema_mode",
                          "objects every tenant shares go in another spec, applied once per database; reference "
                          "them as schema.table")
