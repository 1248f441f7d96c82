"""Catalog facts with no place in the spec language, turned into losses: sequences, other
types, partitioning and inheritance, exclusion constraints, table and column options,
privileges, Supabase-owned objects and everything else the shared inspector skips."""
from __future__ import annotations

from generator.importer.context import ImportCtx

_RELKINDS = {"m": "a materialized view", "f": "a foreign table"}
_TYPE_KINDS = {"b": "a base type", "c": "a composite type", "d": "a domain", "r": "a range type",
               "m": "a multirange type"}
_SUPABASE_ROLES = ("anon", "authenticated", "service_role", "postgres", "supabase_admin", "supabase_auth_admin")
_IDENTITY_MAX = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}


def catalog_losses(ctx: ImportCtx) -> None:
    for fn in (_types, _relations, _columns, _misc):
        fn(ctx)


def _types(ctx: ImportCtx) -> None:
    for r in ctx.catalog.types:
        if r["kind"] == "b":
            ctx.lose(("type", r["schema"], r["name"]), None, "a base type (made with C functions)",
                     "not imported (nor columns of it)")


def _relations(ctx: ImportCtx) -> None:
    for r in ctx.catalog.relations:
        obj = ("table", r["schema"], r["name"])
        if r["kind"] == "f":
            ctx.lose(obj, None, "a foreign table", "not imported")
        elif r["kind"] in ("r", "p"):
            if r["tablespace"]:
                ctx.lose(obj, None, f"tablespace {r['tablespace']}", "the default tablespace")
            if r["typed"]:
                ctx.lose(obj, None, "a typed table (OF type)", "a plain table")


def _columns(ctx: ImportCtx) -> None:
    for r in ctx.catalog.column_extras:
        obj, part = ("table", r["schema"], r["table_name"]), f"column {r['column_name']}"
        extras = [w for w, k in (("storage", "storage_changed"), ("compression", "compression_set"),
                                 ("statistics target", "statistics_set"), ("attribute options", "options"))
                  if r[k]]
        if extras and r["local"]:
            ctx.lose(obj, part, f"column {', '.join(extras)} settings", "the defaults")


def granted(acl, flavor: str) -> list[str]:
    """ACL items beyond an owner's own and PostgreSQL's (or Supabase's) defaults."""
    out = []
    for item in acl or ():
        grantee, _, rest = item.partition("=")
        grantor = rest.partition("/")[2]
        if grantee in ("", grantor, "pg_database_owner") or (flavor == "supabase" and grantee in _SUPABASE_ROLES):
            continue
        out.append(item)
    return out


def _misc(ctx: ImportCtx) -> None:
    for r in ctx.catalog.misc:
        if r["kind"] in ("operator", "text search configuration"):
            ctx.lose((r["kind"], r["name"]), None, f"a {r['kind']}", "not imported")
