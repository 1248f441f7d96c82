"""The whole imported spec as plain data, in the order of the spec language's keys: database,
naming, extensions, schemas, enums, roles, grants, tenancy, auth, entities, views, functions."""
from __future__ import annotations

from generator.importer import objects, schema_objects
from generator.importer.columns import type_text
from generator.importer.columns import prepare_columns
from generator.importer.createdfrom import recognize_created_from
from generator.importer.context import ImportCtx
from generator.importer.entity import Planned, entity_spec, table_keys
from generator.importer.indexes import auto_fk_indexes
from generator.importer.keys import inherited_columns
from generator.importer.recognize import recognize_admin, recognize_traits
from generator.importer.supabase import SUPABASE_ROLES
from generator.importer.protection import recognize_guards
from generator.importer.tenancy import recognize_tenancy
from generator.importer.unsupported import catalog_losses


ENTITY_ORDER = ("table", "schema", "description", "traits", "tenant", "owner", "columns", "primary_key",
                "foreign_keys", "unique", "checks", "indexes", "policies", "rls", "grants", "triggers", "created_from",
                "realtime", "lint")


def build_document(ctx: ImportCtx, name: str) -> dict:
    """The spec data; ctx.losses is filled on the way (fresh for every call)."""
    ctx.losses, ctx.roles, ctx.generated_functions, ctx.auth = [], set(), set(), {}
    ctx.absorbed_triggers, ctx.soft_deleted = set(), {}
    ctx.roles |= {r for r in ctx.leftover_roles if r}
    recognize_admin(ctx)
    _policy_roles(ctx)
    created = recognize_created_from(ctx)
    catalog_losses(ctx)
    prepared = {t.key: prepare_columns(ctx, t) for t in ctx.model.tables}
    carried = {k: {c.name: c for c, _ in v} for k, v in prepared.items()}
    traits = {t.key: recognize_traits(ctx, t, [c for c, _ in prepared[t.key]]) for t in ctx.model.tables}
    tenancy = recognize_tenancy(ctx, {k: set(v) for k, v in carried.items()})
    ctx.tenancy = tenancy
    ctx.guards = recognize_guards(ctx)
    enums = objects.enums(ctx)
    functions = objects.functions(ctx)
    objects.function_dependents(ctx, set(functions))
    admin = ctx.auth.get("admin", {}).get("entity")
    admin_table = next((k for k, v in ctx.keys.items() if v == admin), None)
    tables = sorted(ctx.model.tables, key=lambda t: ctx.keys[t.key])
    keys = {t.key: table_keys(ctx, t, prepared[t.key], traits[t.key][1], carried) for t in tables}
    auto = _auto_indexes(ctx, tables, keys, carried)
    entities, grants = {}, {}
    for t in tables:
        plan = Planned(prepared[t.key], traits[t.key], carried, set(functions), tenancy, admin_table, keys[t.key],
                       auto.get(t.key, set()) if auto is not None else set())
        key = ctx.keys[t.key]
        entities[key], grants[key] = entity_spec(ctx, t, plan)
        if key in created:
            entities[key]["created_from"] = created[key]
    common = _hoist_grants(entities, grants, SUPABASE_ROLES if ctx.flavor == "supabase" else ())
    entities = {k: dict(sorted(e.items(), key=lambda kv: _rank(kv[0]))) for k, e in entities.items()}
    doc: dict = {"spec": 1, "name": name, "database": _database(ctx)}
    naming: dict = {"convention": ctx.convention} if ctx.convention != "gen" else {}
    if ctx.prefix:
        naming["table_prefix"] = ctx.prefix
    if auto is None:
        naming["index_foreign_keys"] = False
    if naming:
        doc["naming"] = naming
    _put(doc, "extensions", objects.extensions(ctx))
    _put(doc, "schemas", schema_objects.schemas(ctx, {e.get("schema", ctx.main) for e in entities.values()}))
    _put(doc, "collations", schema_objects.collations(ctx))
    _put(doc, "enums", enums)
    _put(doc, "types", schema_objects.types(ctx, type_text))
    _put(doc, "sequences", schema_objects.sequences(ctx))
    views = objects.views(ctx)
    _put(doc, "roles", objects.roles(ctx))
    _put(doc, "grants", common)
    if tenancy is not None:
        doc["tenancy"] = tenancy.spec(ctx)
    _put(doc, "auth", dict(ctx.auth))
    doc["entities"] = entities
    _put(doc, "views", views)
    _put(doc, "functions", functions)
    _put(doc, "aggregates", schema_objects.aggregates(ctx))
    _put(doc, "sql", dict(ctx.leftovers))
    return doc


def _policy_roles(ctx: ImportCtx) -> None:
    """`auth.roles`: the role set most policies apply to, when it is not the flavor's default
    (public_read policies are left out: their default is anyone)."""
    from collections import Counter
    sets = Counter(tuple(sorted(p.roles)) for t in ctx.model.tables for p in t.policies
                   if p.command != "SELECT" or "public" not in p.roles and "anon" not in p.roles)
    if not sets:
        return
    best, n = sets.most_common(1)[0]
    flavor = ("authenticated",) if ctx.flavor == "supabase" else ("public",)
    if best != flavor and n * 2 > sum(sets.values()) and "public" not in best:
        ctx.auth = {**ctx.auth, "roles": list(best)}
        ctx.roles.update(best)


def _rank(field: str) -> int:
    return ENTITY_ORDER.index(field) if field in ENTITY_ORDER else len(ENTITY_ORDER)


def _put(doc: dict, key: str, value) -> None:
    if value:
        doc[key] = value


def _database(ctx: ImportCtx) -> dict:
    out: dict = {"version": max(12, min(18, ctx.version))}
    if ctx.flavor != "plain":
        out["flavor"] = ctx.flavor
    if ctx.main != "public":
        out["schema"] = ctx.main
    return out


def _hoist_grants(entities: dict, grants: dict[str, dict[str, list[str]]], keep: tuple[str, ...]) -> dict:
    """Privileges every table grants a role move to the top-level `grants:` (two tables or
    more); roles in `keep` stay per table (a top-level entry would replace a default)."""
    common: dict[str, list[str]] = {}
    if len(grants) >= 2:
        roles = set.intersection(*(set(g) for g in grants.values())) - set(keep)
        for role in sorted(roles):
            shared = set.intersection(*(set(g[role]) for g in grants.values()))
            if shared:
                common[role] = sorted(shared)
    for key, g in grants.items():
        own = {r: [p for p in ps if p not in common.get(r, [])] for r, ps in sorted(g.items())}
        own = {r: ps for r, ps in own.items() if ps or r in keep}
        if own:
            entities[key]["grants"] = own
    return common


def _auto_indexes(ctx: ImportCtx, tables, keys: dict, carried: dict) -> dict | None:
    """Per table, the FK indexes the resolver will add by itself (left out of the spec); None
    when it would add one the database lacks (then the spec turns the rule off)."""
    out = {}
    for t in tables:
        order = {c.name: i for i, c in enumerate(t.columns)}
        fks = sorted(keys[t.key].fk_columns, key=lambda cols: order.get(cols[0], 0))
        got = auto_fk_indexes(ctx, t, set(carried[t.key]) | set(inherited_columns(ctx, t, carried)), keys[t.key].covered, fks, keys[t.key].scoped)
        if got is None:
            return None
        out[t.key] = got
    return out
