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
    for fn in (_sequences, _types, _relations, _constraints, _columns, _outside, _schemas, _misc):
        fn(ctx)


def _sequences(ctx: ImportCtx) -> None:
    absorbed = set(ctx.serials.values())
    for s in ctx.catalog.sequences:
        if (s["schema"], s["name"]) in absorbed:
            continue                      # serial: carried as an identity column, loss on the column
        if s["owned"] == "i":
            if _identity_options(s):
                ctx.lose(("table", s["table_schema"], s["table_name"]), f"column {s['column_name']}",
                         f"identity options ({_identity_options(s)})", "identity with default options")
            continue
        ctx.lose(("sequence", s["schema"], s["name"]), None, "a sequence (the spec has none)",
                 "not imported: create it before applying; defaults calling nextval() on it are kept as raw defaults")


def _identity_options(s: dict) -> str:
    parts = []
    if s["start"] != 1:
        parts.append(f"START {s['start']}")
    if s["increment"] != 1:
        parts.append(f"INCREMENT {s['increment']}")
    if s["min"] != 1:
        parts.append(f"MINVALUE {s['min']}")
    if s["max"] != _IDENTITY_MAX.get(s["type"], s["max"]):
        parts.append(f"MAXVALUE {s['max']}")
    if s["cache"] != 1:
        parts.append(f"CACHE {s['cache']}")
    if s["cycle"]:
        parts.append("CYCLE")
    return ", ".join(parts)


def _types(ctx: ImportCtx) -> None:
    for r in ctx.catalog.types:
        carried = "columns of it carry its base type" if r["kind"] == "d" else "not imported (nor columns of it)"
        ctx.lose(("type", r["schema"], r["name"]), None, _TYPE_KINDS[r["kind"]], carried)


def _relations(ctx: ImportCtx) -> None:
    for r in ctx.catalog.relations:
        obj = ("table", r["schema"], r["name"])
        if r["kind"] in _RELKINDS:
            kind = "view" if r["kind"] == "m" else "table"
            ctx.lose((kind, r["schema"], r["name"]), None, _RELKINDS[r["kind"]], "not imported")
            continue
        if r["kind"] not in ("r", "p"):
            continue
        if r["partition"]:
            ctx.lose(obj, None, f"a partition ({r['bound']}) of {', '.join(r['parents'])}", "not imported")
            continue
        _table_options(ctx, obj, r)


def _table_options(ctx: ImportCtx, obj, r: dict) -> None:
    if r["kind"] == "p":
        ctx.lose(obj, None, f"a partitioned table (PARTITION BY {r['partkey']})", "a plain table")
    if r["parents"]:
        ctx.lose(obj, None, f"inheritance from {', '.join(r['parents'])}",
                 "a plain table with the inherited columns as its own")
    if r["persistence"] == "u":
        ctx.lose(obj, None, "UNLOGGED", "a logged table")
    if r["replident"] not in ("d", None):
        ctx.lose(obj, None, f"REPLICA IDENTITY {({'f': 'FULL', 'n': 'NOTHING', 'i': 'USING INDEX'})[r['replident']]}",
                 "the default replica identity")
    if r["options"]:
        ctx.lose(obj, None, f"storage options ({', '.join(r['options'])})", "table without them")
    if r["tablespace"]:
        ctx.lose(obj, None, f"tablespace {r['tablespace']}", "the default tablespace")
    if r["typed"]:
        ctx.lose(obj, None, "a typed table (OF type)", "a plain table")


def _constraints(ctx: ImportCtx) -> None:
    partitions = {(r["schema"], r["name"]) for r in ctx.catalog.relations if r["partition"]}
    for r in ctx.catalog.constraints:
        obj = ("table", r["schema"], r["table_name"])
        if obj[1:] in partitions:
            continue
        if r["kind"] == "x":
            ctx.lose(obj, None, f"exclusion constraint {r['name']} ({r['definition']})", "not imported")
        elif r["kind"] == "t":
            ctx.lose(obj, None, f"constraint trigger {r['name']}", "not imported")
        if r["comment"]:
            ctx.lose(obj, None, f"comment on constraint {r['name']}", "not imported")
        if not r["local"] and r["kind"] in ("c", "f"):
            ctx.lose(obj, f"check {r['name']}" if r["kind"] == "c" else f"foreign key {r['name']}",
                     "an inherited constraint", "the table's own constraint")


def _columns(ctx: ImportCtx) -> None:
    partitions = {(r["schema"], r["name"]) for r in ctx.catalog.relations if r["partition"]}
    for r in ctx.catalog.column_extras:
        if (r["schema"], r["table_name"]) in partitions:
            continue
        obj, part = ("table", r["schema"], r["table_name"]), f"column {r['column_name']}"
        if not r["local"]:
            ctx.lose(obj, part, "an inherited column", "the table's own column")
        extras = [w for w, k in (("storage", "storage_changed"), ("compression", "compression_set"),
                                 ("statistics target", "statistics_set"), ("attribute options", "options"))
                  if r[k]]
        if extras:
            ctx.lose(obj, part, f"column {', '.join(extras)} settings", "the defaults")


def _outside(ctx: ImportCtx) -> None:
    """Policies and triggers the project put on Supabase-owned tables (storage.objects, auth.users)."""
    for r in ctx.catalog.outside_policies:
        ctx.lose(("table", r["schema"], r["table_name"]), f"policy {r['name']}",
                 "a policy on a table Supabase owns", "not imported (keep it in a Supabase migration)")
    for r in ctx.catalog.triggers:
        if r["inside"] and r["relkind"] in ("v", "m", "f"):
            kind = "view" if r["relkind"] in ("v", "m") else "table"
            ctx.lose((kind, r["schema"], r["table_name"]), None, f"trigger {r['name']} on a view or foreign table",
                     "not imported")
        elif not r["inside"] and (r["schema"], r["table_name"], r["name"]) not in ctx.absorbed_triggers:
            ctx.lose(("table", r["schema"], r["table_name"]), f"trigger {r['name']}",
                     f"a trigger on a table outside the import calling {r['fn_schema']}.{r['fn_name']}",
                     "not imported (its function is)")


def _schemas(ctx: ImportCtx) -> None:
    for r in ctx.catalog.schemas:
        if r["name"] not in ctx.schemas:
            continue
        acl = granted(r["acl"], ctx.flavor)
        if acl:
            ctx.lose(("schema", r["name"]), None, f"schema privileges ({', '.join(acl)})", "not imported")
        if r["comment"] and (r["name"], r["comment"]) != ("public", "standard public schema"):
            ctx.lose(("schema", r["name"]), None, "a comment on the schema", "not imported")


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
        if ctx.flavor == "supabase" and r["kind"] == "default privileges":
            continue
        ctx.lose((r["kind"], r["name"]), None, f"a {r['kind']}", "not imported")
