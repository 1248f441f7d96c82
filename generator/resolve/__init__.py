"""The one bridge from spec to model: turns every piece of sugar (traits, tenancy, presets,
compact columns, many-to-many) into plain model objects, collecting all errors first."""
from __future__ import annotations

import difflib

from generator.model import Enum, Extension, Function, LintOverride, Role, Schema, Settings, View, replace
from generator.resolve import objects as objs
from generator.resolve.columns_pass import collect_columns, pk_columns
from generator.resolve.context import Ctx, EntityInfo
from generator.resolve.identifiers import check_identifiers
from generator.resolve.created_from import created_from
from generator.resolve.policies import admin_function, auth_model, tenancy_model
from generator.resolve import tenant_schema
from generator.resolve.audit import audit, audit_entity
from generator.resolve.citus import citus
from generator.resolve.compose import compose
from generator.resolve.execute import function_access
from generator.resolve.lint_overrides import lint_overrides
from generator.resolve.protection import protect
from generator.resolve.realtime import realtime
from generator.resolve.references import resolve_references
from generator.resolve.shared_refs import shared_references
from generator.resolve.sample import named_queries, sample_hints, sample_settings
from generator.resolve.soft_delete import soft_delete
from generator.resolve.seeds import resolve_seeds
from generator.resolve.tables import build_table
from generator.spec.loader import LoadedSpec, paused_gc
from generator.spec.schema import ColumnFull, Entity, RefFull, SpecFile

SUPABASE_ROLES = ("anon", "authenticated", "service_role")
BUILTIN_ROLES = ("public",)


def resolve(spec: SpecFile, loaded: LoadedSpec) -> Schema:
    with paused_gc():
        return _resolve(spec, loaded)


def _resolve(spec: SpecFile, loaded: LoadedSpec) -> Schema:
    spec, block = tenant_schema.prepare(spec)
    ctx = Ctx(spec, loaded, tenancy_block=block)
    enums = _enums(ctx)
    objs.declare_types(ctx)
    entities = dict(spec.entities)
    _relations(ctx, entities)
    entities = compose(ctx, entities)
    audit_entity(ctx, entities)
    for key, ent in entities.items():
        table = ent.table or f"{ctx.prefix}{key}"
        ctx.check_name(table, "table", ("entities", key))
        ctx.entities[key] = EntityInfo(key, table, ent.schema_ or ctx.schema_name)
    _tenancy_checks(ctx)
    all_cols = {key: collect_columns(ctx, key, ent) for key, ent in entities.items()}
    _inherited_columns(entities, all_cols)
    admin = spec.auth.admin.entity if spec.auth and spec.auth.admin else None
    admin_table = ctx.entities[admin].table if admin in ctx.entities else None
    refs = resolve_references(ctx, entities, all_cols)
    tables = [_extras(ctx, key, ent, build_table(ctx, ent, all_cols[key], refs, admin_table))
              for key, ent in entities.items()]
    by_entity = {t.meta.entity: t for t in tables}
    external = [created_from(ctx, key, ent, by_entity[key]) for key, ent in entities.items() if ent.created_from]
    seeds, seeded_external = resolve_seeds(ctx, by_entity)
    if spec.auth and spec.auth.admin and not any(f.name.endswith("is_admin") for f in ctx.functions.values()):
        admin_function(ctx)     # declared: guards, soft delete and audit may name `admin` without a preset
    schema_names, namespaces = objs.namespaces(ctx)
    domains, composites, ranges = objs.user_types(ctx)
    sequences = objs.sequences(ctx) + ctx.sequences
    functions = _functions(ctx)
    schema = Schema(
        name=spec.name,
        tables=tuple(tables),
        enums=enums,
        extensions=tuple(Extension(e) if isinstance(e, str) else Extension(e.name, e.schema_, e.version)
                         for e in spec.extensions),
        functions=tuple(sorted(list(ctx.functions.values()) + functions, key=lambda f: f.key)),
        external_triggers=tuple(x for x in external if x is not None),
        views=_views(ctx),
        roles=tuple(Role(n, r.login if r else False, r.description if r else None, ctx.loc("roles", n))
                    for n, r in spec.roles.items()),
        schemas=tuple(sorted((set(schema_names) | {e.schema for e in ctx.entities.values()}
                              | {o.schema for o in (*sequences, *domains, *composites, *ranges)}
                              | {f.schema for f in ctx.functions.values()} | {f.schema for f in functions}
                              | {v.schema for v in _views(ctx)}) - {"public"})),
        sequences=tuple(sorted(sequences, key=lambda x: x.key)), collations=objs.collations(ctx),
        domains=domains, composites=composites, ranges=ranges, aggregates=objs.aggregates(ctx),
        namespaces=namespaces, raw=objs.raw_objects(ctx),
        seeds=seeds,
        external_tables=seeded_external,
        tenancy=tenancy_model(ctx),
        auth=auth_model(ctx),
        settings=Settings(spec.database.dialect, spec.database.version, spec.database.flavor,
                          tuple(spec.database.protected),
                          tuple(LintOverride(code, sev, "spec-wide", ctx.loc("lint", code))
                                for code, sev in sorted(spec.lint.items())), _temp_tables(spec)),
        description=spec.description,
        sample=sample_settings(ctx),
        queries=named_queries(ctx, by_entity),
    )
    schema = shared_references(audit(ctx, schema, entities))
    schema = function_access(ctx, protect(ctx, soft_delete(ctx, schema), all_cols))
    schema = citus(ctx, tenant_schema.check(ctx, schema))
    _check_roles(ctx, schema)
    _check_collisions(ctx, schema)
    check_identifiers(schema, ctx.diags, ctx.loc(), skip_long=ctx.reported_long)
    ctx.diags.raise_if_errors()
    warnings = tuple(d for d in ctx.diags.items if d.severity == "warning")
    return replace(schema, warnings=warnings) if warnings else schema


def _temp_tables(spec: SpecFile) -> bool:
    """TEMPORARY for PUBLIC: as the spec says, else off where the spec names the application's
    roles on plain PostgreSQL (on a pooled connection a temporary table one client creates would
    shadow a table for the next client: `pg_temp` comes first on the search path)."""
    if spec.database.temp_tables is not None:
        return spec.database.temp_tables
    return not (spec.database.flavor == "plain" and spec.auth is not None and bool(spec.auth.roles))


def _extras(ctx: Ctx, key: str, ent: Entity, table):
    """Realtime publication membership and sample-data hints of an entity's table."""
    table = realtime(ctx, key, ent, table)
    hints = sample_hints(ctx, key, ent, table)
    return replace(table, meta=replace(table.meta, sample=hints)) if hints else table


def _enums(ctx: Ctx) -> tuple[Enum, ...]:
    out = []
    for key, raw in ctx.spec.enums.items():
        values = raw if isinstance(raw, list) else raw.values
        schema = ctx.schema_name if isinstance(raw, list) or not raw.schema_ else raw.schema_
        path = ("enums", key)
        ctx.check_name(key, "enum", path)
        if not values:
            ctx.error("RS080", f"enum '{key}' has no values", path, "list at least one value")
        seen = set()
        for i, v in enumerate(values):
            if v in seen:
                ctx.error("RS081", f"enum '{key}' lists '{v}' twice", path, "remove the duplicate")
            seen.add(v)
            if len(v.encode()) > 63:
                ctx.error("RS082", f"enum value '{v[:20]}…' is over 63 bytes", path, "shorten it")
        ctx.enums[key] = (schema, key)
        ctx.enum_values[key] = tuple(values)
        out.append(Enum(key, tuple(values), schema, None if isinstance(raw, list) else raw.description,
                        ctx.loc(*path), None if isinstance(raw, list) else raw.renamed_from,
                        () if isinstance(raw, list) else tuple(raw.renamed_values.items())))
    return tuple(out)


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("ses") or name.endswith("xes"):
        return name[:-2]
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def _relations(ctx: Ctx, entities: dict[str, Entity]) -> None:
    """Many-to-many: create the join entity (composite PK, two cascading FKs typed like the
    targets' primary keys) unless declared. A self-link (`[users, users]`) names its two columns."""
    for i, rel in enumerate(ctx.spec.relations):
        path = ("relations", i)
        a, b = rel.many_to_many
        missing = [x for x in (a, b) if x not in entities]
        if missing:
            close = difflib.get_close_matches(missing[0], list(entities), n=1)
            ctx.error("RS090", f"many_to_many names unknown entity '{missing[0]}'", path + ("many_to_many",),
                      (f"did you mean '{close[0]}'? " if close else "") + "name two entity keys")
            continue
        if a == b and not rel.columns:
            ctx.error("RS093", f"a many-to-many link of '{a}' with itself needs its two column names",
                      path + ("many_to_many",), "add `columns: [follower_id, followed_id]` (one per role)")
            continue
        cols = rel.columns or [f"{_singular(a)}_id", f"{_singular(b)}_id"]
        if len(cols) != 2 or cols[0] == cols[1]:
            ctx.error("RS094", "many_to_many `columns:` names two different columns", path + ("columns",),
                      "one column per side, e.g. [follower_id, followed_id]")
            continue
        if rel.through in entities:
            ent = entities[rel.through]
            for c, target in zip(cols, (a, b)):
                if c not in ent.columns:
                    ctx.error("RS091", f"join entity '{rel.through}' lacks column '{c}' -> {target}", path,
                              "add the column, or let gen create the join entity")
            continue
        keys = [_key_of(ctx, x, entities[x], path) for x in (a, b)]
        if None in keys:
            continue
        columns: dict = {c: ColumnFull(type=t, nullable=False, ref=RefFull(entity=x, column=k), on_delete=rel.on_delete)
                         for c, x, (k, t) in zip(cols, (a, b), keys)}
        # a link between tenant data is tenant data: it gets the tenant column and isolation
        tenant = bool(ctx.spec.tenancy) and any(entities[x].tenant and x != ctx.spec.tenancy.root for x in (a, b))
        entities[rel.through] = Entity(
            description=f"Links {a} and {b} (many-to-many).", columns=columns, primary_key=cols,
            traits=["created_at"] if rel.timestamps else [], group=entities[a].group, tenant=tenant)


def _key_of(ctx: Ctx, key: str, ent: Entity, path: tuple) -> tuple[str, str] | None:
    """(column, type) of an entity's single-column primary key, from its declaration."""
    from generator.resolve.columns import ColumnSyntaxError, parse_compact
    declared = pk_columns(ent)
    if declared:
        if len(declared) != 1:
            ctx.error("RS097", f"many_to_many: '{key}' has a primary key of {len(declared)} columns",
                      path + ("many_to_many",), "link entities with a single-column primary key, or declare "
                      "the join entity yourself (`through:` an entity with the columns you need)")
            return None
        wanted = declared[0]
    else:
        wanted = None
    for name, spec in ent.columns.items():
        try:
            full = spec if isinstance(spec, ColumnFull) else ColumnFull.model_validate(parse_compact(spec))
        except (ColumnSyntaxError, ValueError):
            return None             # reported where the column is resolved
        if name == wanted or (wanted is None and full.pk):
            serial = {"serial": "integer", "serial4": "integer", "bigserial": "bigint", "serial8": "bigint",
                      "smallserial": "smallint", "serial2": "smallint"}
            return name, serial.get(full.type.strip().lower(), full.type)
    ctx.error("RS097", f"many_to_many: '{key}' has no primary key to link to", path + ("many_to_many",),
              "give it `pk` on a column (e.g. `id: uuid pk`)")
    return None


def _inherited_columns(entities: dict[str, Entity], all_cols: dict) -> None:
    """Partitions and inheriting tables may name their parents' columns (in indexes, checks ...)."""
    def gather(key: str, seen: tuple = ()) -> dict:
        ent = entities.get(key)
        if ent is None or key in seen:
            return {}
        out: dict = {}
        for parent in ([ent.partition_of] if ent.partition_of else []) + list(ent.inherits):
            if parent in all_cols:
                out.update(gather(parent, seen + (key,)))
                out.update(all_cols[parent].columns)
        return out

    for key, ent in entities.items():
        if ent.partition_of or ent.inherits:
            all_cols[key].inherited = gather(key)


def _tenancy_checks(ctx: Ctx) -> None:
    t = ctx.spec.tenancy
    if t and t.root not in ctx.entities:
        ctx.error("RS041", f"tenancy root '{t.root}' is not an entity", ("tenancy", "root"),
                  "name the entity that is the tenant (e.g. companies)")


def _functions(ctx: Ctx) -> list[Function]:
    out = []
    for key, f in ctx.spec.functions.items():
        name = f.name or key
        ctx.check_name(name, "function", ("functions", key))
        body = f.body.strip() if f.atomic else f.body if f.body.startswith("\n") else "\n" + f.body
        out.append(Function(name=name, returns=f.returns, body=body,
                            schema=f.schema_ or ctx.schema_name, args=f.args, language=f.language,
                            volatility=f.volatility.upper(), security_definer=f.security_definer,
                            search_path=f.search_path, comment=f.description, loc=ctx.loc("functions", key),
                            lint=lint_overrides(ctx, f.lint, ("functions", key)), kind=f.kind, strict=f.strict,
                            leakproof=f.leakproof, parallel=f.parallel.upper(), cost=f.cost, rows=f.rows,
                            config=tuple(sorted((k, str(v)) for k, v in f.set.items())), atomic=f.atomic))
    return out


def _views(ctx: Ctx) -> tuple[View, ...]:
    if ctx.views is not None:
        return ctx.views
    out = []
    for key, v in ctx.spec.views.items():
        path = ("views", key)
        name = v.name or key
        ctx.check_name(name, "view", path)
        query = ctx.query(v.query, path + ("query",))
        if query is None:
            continue
        from generator.model import Grant
        from generator.resolve.tables import view_indexes, view_triggers
        grants = tuple(Grant(r, tuple(sorted(p.upper() for p in privs))) for r, privs in sorted(v.grants.items()))
        out.append(View(name, query, v.schema_ or ctx.schema_name, v.security_invoker and not v.materialized,
                        v.description, grants, ctx.loc(*path), lint_overrides(ctx, v.lint, path),
                        materialized=v.materialized, indexes=view_indexes(ctx, v, name, path),
                        triggers=view_triggers(ctx, v, name, path),
                        options=tuple(sorted((k, str(val)) for k, val in v.options.items()))))
    ctx.views = tuple(out)
    return ctx.views


def _check_roles(ctx: Ctx, schema: Schema) -> None:
    known = set(BUILTIN_ROLES) | {r.name for r in schema.roles}
    if ctx.flavor == "supabase":
        known |= set(SUPABASE_ROLES)
    for t in schema.tables:
        for p in t.policies:
            for r in p.roles:
                if r not in known:
                    ctx.diags.add("RS092", f"policy '{p.name}' on '{t.name}' is for unknown role '{r}'", p.loc,
                                  f"tables.{t.name}", "declare it under roles: (or use supabase flavor roles)")
        for g in t.grants:
            if g.role not in known:
                ctx.diags.add("RS092", f"grant on '{t.name}' to unknown role '{g.role}'", t.loc, f"tables.{t.name}",
                              "declare it under roles:")


def _check_collisions(ctx: Ctx, schema: Schema) -> None:
    """Tables, views, indexes and index-backed constraints share one namespace per schema."""
    seen: dict[tuple[str, str], str] = {}

    def claim(sch, name, what, loc) -> bool:
        if (sch, name) in seen:
            ctx.diags.add("RS011", f"the name '{name}' of the {what} is already used by the {seen[(sch, name)]}",
                          loc, name, "rename one of them (set `table:` or `name:` explicitly)")
            return False
        seen[(sch, name)] = what
        return True

    clashing = set()
    for t in schema.tables:
        if not claim(t.schema, t.name, f"table of entity '{t.meta.entity}'", t.loc):
            clashing.add(t.key)
    for v in schema.views:
        claim(v.schema, v.name, "view", v.loc)
    for t in schema.tables:
        if t.key in clashing:   # its constraints clash too; one error says it
            continue
        if t.primary_key:
            claim(t.schema, t.primary_key.name, f"primary key of {t.name}", t.loc)
        for u in t.uniques:
            claim(t.schema, u.name, f"unique constraint of {t.name}", u.loc)
        for i in t.indexes:
            claim(t.schema, i.name, f"index of {t.name}", i.loc)
