"""Second resolve pass: build each Table from its collected columns: keys, references,
unique and check constraints, indexes, triggers, RLS, policies and grants."""
from __future__ import annotations

import re

from generator.model import (Check, Exclusion, ExclusionElement, Function, Grant, Index, IndexElement, PrimaryKey,
                             SoftDelete, Table, TableMeta, Trigger, Unique)
from generator.model import conventions as conv
from generator.model.naming import constraint_name, quote_ident, shorten
from generator.resolve.columns_pass import EntityColumns, soft_delete_of
from generator.resolve.context import Ctx
from generator.resolve.lint_overrides import lint_overrides
from generator.resolve.policies import resolve_policies, warn_owner_in_tenant
from generator.resolve.trait_functions import trait_function
from generator.resolve.references import References, parent_uniques
from generator.spec.schema import CheckFull, Entity, IndexFull, PrimaryKeyFull, RlsFull, UniqueFull

PRIVILEGES = ("DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE")
VECTOR_METHODS = ("hnsw", "ivfflat")


def build_table(ctx: Ctx, ent: Entity, cols: EntityColumns, refs: References, admin_table: str | None) -> Table:
    info = ctx.entities[cols.key]
    t = info.table
    base = ("entities", cols.key)
    names = set(cols.columns)
    for n, ci in cols.columns.items():
        _columns_known(ctx, ci.column.generated, cols, ci.path, f"generated expression of '{n}'")
        _extension_for_type(ctx, ci)
    pk_spec = ent.primary_key if isinstance(ent.primary_key, PrimaryKeyFull) else None
    pk = PrimaryKey((pk_spec.name if pk_spec and pk_spec.name else None) or conv.primary_key(ctx.convention, t),
                    tuple(cols.pk),
                    ctx.loc(*base), deferrable=bool(pk_spec and pk_spec.deferrable),
                    initially_deferred=bool(pk_spec and pk_spec.initially_deferred)) if cols.pk else None
    fks = refs.fks.get(cols.key, [])
    uniques = _uniques(ctx, ent, cols, t)
    uniques += parent_uniques(ctx, cols.key, refs, pk.columns if pk else (), uniques)
    checks = _checks(ctx, ent, cols, t)
    indexes = _indexes(ctx, ent, cols, t, names)
    indexes += _fk_indexes(ctx, t, fks, pk, uniques, indexes)
    owner = ent.owner if ent.owner in names else None
    policies = resolve_policies(ctx, cols.key, t, names, ent.policies, cols.tenant_column, owner)
    if ent.tenant and cols.tenant_column and not any(p.preset == "tenant_isolation" for p in policies):
        from generator.spec.schema import PolicyFull
        policies = resolve_policies(ctx, cols.key, t, names, [PolicyFull(preset="tenant_isolation")],
                                    cols.tenant_column, owner, ("entities", cols.key, "tenant")) + policies
    policies += _root_delete(ctx, cols.key, t, policies)
    tcol = cols.columns.get(cols.tenant_column or "")
    if tcol is not None and not tcol.column.nullable:   # with NULL tenants an owner policy does add rows
        warn_owner_in_tenant(ctx, cols.key, t, policies)
    rls = ent.rls
    deny_all = isinstance(rls, RlsFull) and rls.deny_all
    enabled = bool(policies) or deny_all if rls is None else (rls if isinstance(rls, bool) else rls.enabled or deny_all)
    forced = enabled and not (isinstance(rls, RlsFull) and not rls.force) and t != admin_table
    triggers, meta_cols = _traits(ctx, cols, t)
    triggers += _entity_triggers(ctx, ent, cols, t)
    return Table(
        name=t, schema=info.schema, columns=tuple(ci.column for ci in cols.columns.values()), primary_key=pk,
        foreign_keys=tuple(sorted(fks, key=lambda f: f.name)), uniques=tuple(sorted(uniques, key=lambda u: u.name)),
        checks=tuple(sorted(checks, key=lambda c: c.name)), indexes=tuple(sorted(indexes, key=lambda i: i.name)),
        comment=ent.description, rls_enabled=enabled, rls_forced=forced,
        policies=tuple(sorted(policies, key=lambda p: p.name)),
        triggers=tuple(sorted(triggers, key=lambda x: x.name)), grants=_grants(ctx, ent, cols.key, cols),
        exclusions=_exclusions(ctx, ent, cols, t), unlogged=ent.unlogged,
        options=tuple(sorted((k, str(v)) for k, v in ent.with_.items())), partition_by=ent.partition_by,
        partition_of=_parent(ctx, ent.partition_of, base + ("partition_of",)) if ent.partition_of else None,
        partition_bound=(ent.bound or "DEFAULT") if ent.partition_of else None,
        inherits=tuple(_parent(ctx, p, base + ("inherits",)) for p in ent.inherits), cluster_on=ent.cluster_on,
        replica_identity=_replica(ent.replica_identity),
        meta=TableMeta(entity=cols.key, group=ent.group,
                       tenant_column=cols.tenant_column if ent.tenant else None,
                       owner_column=owner or _owner_from_policies(policies),
                       touch_column=meta_cols.get("touch"),
                       soft_delete_column=sd.column if (sd := meta_cols.get("soft_delete")) else None, soft_delete=sd,
                       version_column=meta_cols.get("version"), renamed_from=_renamed_from(ctx, ent),
                       deny_all=deny_all, lint=lint_overrides(ctx, ent.lint, base),
                       unprotected=tuple(n for n, ci in cols.columns.items() if ci.full.protected is False)),
        loc=ctx.loc(*base),
    )


def _parent(ctx: Ctx, name: str, path) -> str:
    """An entity key (or schema.table) as the qualified table name CREATE TABLE names."""
    from generator.model.naming import qualified
    info = ctx.entities.get(name)
    if info is not None:
        return qualified(info.schema, info.table)
    if "." not in name:
        ctx.error("RS133", f"'{name}' is not an entity", path, "name an entity key, or schema.table")
    return name


def _replica(value: str | None) -> str | None:
    if value is None or value.lower() == "default":
        return None
    return value.upper() if value.lower() in ("full", "nothing") else value


def _exclusions(ctx: Ctx, ent: Entity, cols: EntityColumns, t: str) -> tuple[Exclusion, ...]:
    out = []
    for i, x in enumerate(ent.exclude):
        path = ("entities", cols.key, "exclude", i)
        elements = []
        for pair in x.elements:
            if len(pair) != 2:
                ctx.error("RS134", "an exclusion element is [column or (expression), operator]", path,
                          "e.g. [during, '&&']")
                continue
            what, op = pair
            expr = what[1:-1] if what.startswith("(") and what.endswith(")") else None
            if expr is None and not _columns_exist(ctx, [what], cols, path):
                continue
            elements.append(ExclusionElement(op, None if expr else what, expr, x.ops.get(what)))
        name = x.name or constraint_name(t, [e.column or "expr" for e in elements][:3], "excl")
        where = ctx.expr(x.where, path + ("where",), "exclusion predicate") if x.where else None
        out.append(Exclusion(name, tuple(elements), x.using, where, tuple(x.include), x.deferrable,
                             x.initially_deferred, ctx.loc(*path)))
    return tuple(sorted(out, key=lambda e: e.name))


def view_indexes(ctx: Ctx, v, name: str, path) -> tuple[Index, ...]:
    """Indexes of a materialized view (names default like a table's)."""
    out = []
    for i, raw in enumerate(v.indexes):
        full = IndexFull(columns=[raw]) if isinstance(raw, str) else IndexFull(columns=raw) if isinstance(raw, list) else raw
        elements = _elements(ctx, full, [e for e in [full.expression] + list(full.expressions) if e])
        params = tuple(sorted((k, str(val)) for k, val in full.with_.items()))
        out.append(Index(full.name or _index_name(ctx, name, full), elements, full.unique, full.using, full.where,
                         tuple(full.include), params, full.nulls_not_distinct, full.description,
                         ctx.loc(*path, "indexes", i)))
    return tuple(sorted(out, key=lambda x: x.name))


def view_triggers(ctx: Ctx, v, name: str, path) -> tuple[Trigger, ...]:
    out = [_trigger(ctx, tr, name, path + ("triggers", i)) for i, tr in enumerate(v.triggers)]
    return tuple(sorted((x for x in out if x), key=lambda x: x.name))


_FIRING = {"origin": "O", "disabled": "D", "replica": "R", "always": "A"}


def _trigger(ctx: Ctx, tr, t: str, path) -> Trigger | None:
    from generator.model.naming import quote_ident as q
    fn = tr.function
    if "." not in fn:
        if fn not in ctx.spec.functions:
            ctx.error("RS059", f"trigger function '{fn}' is not declared under functions:", path,
                      "declare it under functions: or qualify it (schema.name)")
            return None
        spec = ctx.spec.functions[fn]
        fn = f"{q(spec.schema_ or ctx.schema_name)}.{q(spec.name or fn)}"
    when = ctx.expr(tr.when, path + ("when",), "trigger WHEN") if tr.when else None
    events = tuple(e.upper() for e in tr.events)
    if tr.columns and "UPDATE" not in events:
        ctx.error("RS122", "trigger `columns:` (UPDATE OF) needs the update event", path + ("columns",),
                  "add update to events, or drop columns")
    name = tr.name or shorten(f"{t}_{'_'.join(e.lower() for e in events)}_{tr.function.split('.')[-1]}")
    return Trigger(name, fn, tr.timing.upper(), events, tr.level.upper(), when, tuple(tr.columns), loc=ctx.loc(*path),
                   args=tuple(str(a) for a in tr.args), old_table=tr.old_table, new_table=tr.new_table,
                   constraint=tr.constraint, deferrable=tr.deferrable or tr.initially_deferred,
                   initially_deferred=tr.initially_deferred, enabled=_FIRING[tr.enabled])


def _root_delete(ctx: Ctx, key: str, t: str, policies) -> list:
    """Tenant isolation on the tenant root lets a tenant's users reach their own tenant's row;
    deleting it would take every row of the tenant with it, so only admins may (a RESTRICTIVE
    DELETE policy; without an admin predicate only the owner and BYPASSRLS roles can)."""
    from generator.model import Policy
    root = ctx.spec.tenancy.root if ctx.spec.tenancy else None
    isolation = [p for p in policies if p.preset == "tenant_isolation"]
    if key != root or not isolation:
        return []
    admin = ctx.spec.auth and ctx.spec.auth.admin
    fn = next((f for f in ctx.functions.values() if f.name.endswith("is_admin")), None)
    if admin and fn is None:
        from generator.resolve.policies import admin_function
        fn = admin_function(ctx)
    cond = ctx.wrap(f"{quote_ident(fn.schema)}.{quote_ident(fn.name)}()") if admin and fn else "false"
    return [Policy(shorten(f"{t}_delete_by_admin"), "DELETE", tuple(sorted({r for p in isolation for r in p.roles})),
                   cond, None, permissive=False, preset="tenant_root",
                   description="only admins delete a tenant (and with it all its rows)", loc=isolation[0].loc)]


def _renamed_from(ctx: Ctx, ent: Entity) -> str | None:
    """The previous table name: `renamed_from` names the previous entity key (prefix added)."""
    old = ent.renamed_from
    if old is None or (ctx.prefix and old.startswith(ctx.prefix)):
        return old
    return f"{ctx.prefix}{old}"


# Types and operator classes that need an extension, and which one.
TYPE_EXTENSIONS = {"vector": "vector", "halfvec": "vector", "sparsevec": "vector", "citext": "citext",
                   "ltree": "ltree"}
OPCLASS_EXTENSIONS = {"gin_trgm_ops": "pg_trgm", "gist_trgm_ops": "pg_trgm"}


def declared_extensions(ctx: Ctx) -> set[str]:
    return {e if isinstance(e, str) else e.name for e in ctx.spec.extensions}


def _extension_for_type(ctx: Ctx, ci) -> None:
    t = ci.column.type
    need = None if t.enum else TYPE_EXTENSIONS.get(t.base)
    if need and need not in declared_extensions(ctx):
        ctx.error("RS013", f"type {t.sql} of '{ci.column.name}' needs the {need} extension", ci.path,
                  f"add it: `extensions: [{need}]`")


def _owner_from_policies(policies) -> str | None:
    for p in policies:
        if p.preset == "owner" and p.using:
            m = re.match(r'^"?([^"\s]+)"? =', p.using)
            if m:
                return m.group(1)
    return None


def _uniques(ctx: Ctx, ent: Entity, cols: EntityColumns, t: str) -> list[Unique]:
    out = [Unique(conv.unique(ctx.convention, t, [n]), (n,), loc=ctx.loc(*ci.path))
           for n, ci in cols.columns.items() if ci.full.unique]
    for i, u in enumerate(ent.unique):
        full = UniqueFull(columns=u) if isinstance(u, list) else u
        path = ("entities", cols.key, "unique", i)
        if not _columns_exist(ctx, full.columns, cols, path):
            continue
        if full.name:
            ctx.check_name(full.name, "constraint", path)
        out.append(Unique(full.name or conv.unique(ctx.convention, t, full.columns), tuple(full.columns),
                          full.nulls_not_distinct, ctx.loc(*path), deferrable=full.deferrable or full.initially_deferred,
                          initially_deferred=full.initially_deferred, include=tuple(full.include)))
    return out


def _columns_exist(ctx: Ctx, names, cols: EntityColumns, path) -> bool:
    ok = True
    for n in names:
        if n not in cols.columns and n not in cols.inherited:
            import difflib
            close = difflib.get_close_matches(n, list(cols.columns), n=1)
            ctx.error("RS054", f"'{cols.key}' has no column '{n}'", path,
                      f"did you mean '{close[0]}'?" if close else "list existing columns")
            ok = False
    return ok


def _columns_known(ctx: Ctx, expr: str | None, cols: EntityColumns, path, what: str) -> bool:
    """An expression on one table may read only that table's columns (outside subqueries)."""
    from generator.resolve.expressions import referenced_columns
    import difflib

    if not expr:
        return True
    unknown = [c for c in referenced_columns(expr) if c not in cols.columns and c not in cols.inherited]
    for c in unknown:
        close = difflib.get_close_matches(c, list(cols.columns), n=1)
        ctx.error("RS062", f"{what} reads '{c}', which is not a column of '{cols.key}'", path,
                  (f"did you mean '{close[0]}'? " if close else "") + "quote text literals: 'like this'")
    return not unknown


def _expr_columns(expr: str, known) -> list[str]:
    words = re.findall(r'"([^"]+)"|\b([A-Za-z_][A-Za-z0-9_]*)\b', expr)
    seen = []
    for quoted, bare in words:
        w = quoted or bare
        if w in known and w not in seen:
            seen.append(w)
    return seen


def _checks(ctx: Ctx, ent: Entity, cols: EntityColumns, t: str) -> list[Check]:
    out, used = [], set()

    def add(expr, name, path, no_inherit=False):
        if name is None:
            base = conv.check(ctx.convention, t, _expr_columns(expr, cols.columns)[:3], expr)
            name, n = base, 2
            while name in used:
                name, n = shorten(f"{base}{n}"), n + 1
        elif name in used:
            ctx.error("RS055", f"two checks on '{t}' are named '{name}'", path, "rename one")
        used.add(name)
        out.append(Check(name, expr, ctx.loc(*path), no_inherit=no_inherit))

    for n, ci in cols.columns.items():
        if ci.full.check:
            expr = ctx.expr(ci.full.check, ci.path, f"check of '{n}'")
            if expr and _columns_known(ctx, expr, cols, ci.path, f"check of '{n}'"):
                add(expr, None, ci.path)
    for i, c in enumerate(ent.checks):
        full = CheckFull(expression=c) if isinstance(c, str) else c
        path = ("entities", cols.key, "checks", i)
        expr = ctx.expr(full.expression, path, "check")
        if expr and _columns_known(ctx, expr, cols, path, "check"):
            if full.name:
                ctx.check_name(full.name, "constraint", path)
            add(expr, full.name, path, full.no_inherit)
    return out


def _index_name(ctx: Ctx, t: str, full: IndexFull) -> str:
    if full.columns and not (full.expression or full.expressions or full.elements):
        return conv.index(ctx.convention, t, full.columns, full.unique)
    parts = list(full.columns) + [re.sub(r"[^A-Za-z0-9]+", "_", e).strip("_").lower()
                                  for e in ([full.expression] if full.expression else []) + full.expressions]
    return constraint_name(t, parts, "key" if full.unique else "idx")


def _indexes(ctx: Ctx, ent: Entity, cols: EntityColumns, t: str, names: set[str]) -> list[Index]:
    specs = [(IndexFull(columns=[n]), cols.columns[n].path) for n in cols.columns if cols.columns[n].full.index]
    for i, raw in enumerate(ent.indexes):
        full = IndexFull(columns=[raw]) if isinstance(raw, str) else IndexFull(columns=raw) if isinstance(raw, list) else raw
        specs.append((full, ("entities", cols.key, "indexes", i)))
    out = []
    for full, path in specs:
        idx = _index(ctx, full, cols, t, path)
        if idx:
            out.append(idx)
    return out


def _elements(ctx: Ctx, full: IndexFull, checked: list[str]) -> tuple[IndexElement, ...]:
    """`elements:` (each with its own options), else columns then expressions with `ops` and `order`."""
    if full.elements:
        return tuple(IndexElement(column=e.column, expression=e.expression, opclass=e.ops,
                                  descending=e.order == "desc", nulls=e.nulls, collation=e.collation)
                     for e in full.elements)
    return tuple(IndexElement(column=c, opclass=full.ops, descending=full.order.get(c) == "desc")
                 for c in full.columns) + tuple(IndexElement(expression=e, opclass=full.ops) for e in checked)


def _index(ctx: Ctx, full: IndexFull, cols: EntityColumns, t: str, path) -> Index | None:
    exprs = ([full.expression] if full.expression else []) + list(full.expressions)
    exprs += [e.expression for e in full.elements if e.expression]
    if full.elements:
        full = full.model_copy(update={"columns": list(full.columns) + [e.column for e in full.elements if e.column]})
    if not full.columns and not exprs:
        ctx.error("RS056", "an index needs columns or an expression", path, "add `columns: [..]`")
        return None
    if not _columns_exist(ctx, list(full.columns) + list(full.include) + list(full.order), cols, path):
        return None
    for c in full.columns:
        if c not in cols.columns:
            continue                    # inherited from a parent table
        col = cols.columns[c].column
        if full.using in VECTOR_METHODS and not col.type.is_vector:
            ctx.error("RS057", f"{full.using} index on '{c}', which is {col.type.sql}, not a vector", path,
                      "vector indexes (hnsw, ivfflat) need a vector(n) column")
            return None
        if (full.using == "gin" and not full.ops and not full.elements
                and not (col.type.is_array or col.type.base in ("jsonb", "tsvector"))):
            ctx.error("RS058", f"gin index on '{c}' ({col.type.sql}) needs an operator class", path,
                      "gin indexes arrays, jsonb and tsvector; for text add `ops: gin_trgm_ops` (extension pg_trgm)")
            return None
    checked = [ctx.expr(e, path, "index expression") for e in exprs]
    if any(e is None for e in checked) or not all(_columns_known(ctx, e, cols, path, "index expression")
                                                  for e in checked):
        return None
    where = ctx.expr(full.where, path + ("where",), "index predicate") if full.where else None
    if full.where and (where is None or not _columns_known(ctx, where, cols, path + ("where",), "index predicate")):
        return None
    if full.name:
        ctx.check_name(full.name, "index", path)
    need = OPCLASS_EXTENSIONS.get(full.ops or "")
    if need and need not in declared_extensions(ctx):
        ctx.error("RS013", f"operator class {full.ops} needs the {need} extension", path,
                  f"add it: `extensions: [{need}]`")
        return None
    elements = _elements(ctx, full, checked)
    params = tuple(sorted((k, str(v)) for k, v in full.with_.items()))
    return Index(full.name or _index_name(ctx, t, full), elements, full.unique, full.using, where, tuple(full.include),
                 params, full.nulls_not_distinct, full.description, ctx.loc(*path))


def _fk_indexes(ctx: Ctx, t: str, fks, pk, uniques, indexes) -> list[Index]:
    """PostgreSQL does not index foreign keys; add a btree index where none covers the FK. A
    key that carries a tenant or owner column is covered by an index on its own columns (the
    parent's id alone is selective), so the index is on those."""
    if not ctx.spec.naming.index_foreign_keys:
        return []
    prefixes = [pk.columns] if pk else []
    prefixes += [u.columns for u in uniques]
    prefixes += [i.columns for i in indexes if i.method == "btree" and i.where is None]
    out = []
    for fk in fks:
        if any(_covers(p, fk.columns) or _covers(p, fk.own_columns) for p in prefixes):
            continue
        out.append(Index(conv.index(ctx.convention, t, fk.own_columns),
                         tuple(IndexElement(column=c) for c in fk.own_columns)))
        prefixes.append(fk.own_columns)
    return out


def _covers(prefix: tuple[str, ...], columns: tuple[str, ...]) -> bool:
    """An index whose leading columns are `columns`, in any order."""
    n = len(columns)
    return len(prefix) >= n and set(prefix[:n]) == set(columns)


def _trait_function(ctx: Ctx, kind: str, column: str) -> Function:
    fn = trait_function(ctx.schema_name, ctx.prefix, kind, column)
    ctx.functions.setdefault(fn.key, fn)
    return fn


def _traits(ctx: Ctx, cols: EntityColumns, t: str) -> tuple[list[Trigger], dict[str, object]]:
    triggers, meta = [], {}
    for trait in cols.traits:
        for kind, column in (("touch", trait.touch), ("version", trait.version)):
            if column and column in cols.columns:
                fn = _trait_function(ctx, kind, column)
                verb = "set" if kind == "touch" else "bump"
                triggers.append(Trigger(shorten(f"{t}_{verb}_{column}"), f"{quote_ident(fn.schema)}.{quote_ident(fn.name)}",
                                        "BEFORE", ("UPDATE",), "ROW"))
                meta[kind] = column
        sd = soft_delete_of(trait)
        if sd is not None and sd.column in cols.columns:
            meta["soft_delete"] = SoftDelete(sd.column, sd.flag, sd.by, sd.children, tuple(sd.restore), tuple(sd.purge))
    return triggers, meta


def _entity_triggers(ctx: Ctx, ent: Entity, cols: EntityColumns, t: str) -> list[Trigger]:
    out = []
    for i, tr in enumerate(ent.triggers):
        path = ("entities", cols.key, "triggers", i)
        if not _columns_exist(ctx, tr.columns, cols, path + ("columns",)):
            continue
        trigger = _trigger(ctx, tr, t, path)
        if trigger is not None:
            out.append(trigger)
    return out


# Supabase's default privileges give anon, authenticated and service_role ALL on every table
# in public. gen states the grants explicitly (and revokes the rest on a new table): the client
# roles get the four commands RLS governs, never TRUNCATE (RLS does not apply to it), TRIGGER or
# REFERENCES; the service role keeps ALL.
SUPABASE_DEFAULT_GRANTS = {"anon": ["select", "insert", "update", "delete"],
                           "authenticated": ["select", "insert", "update", "delete"],
                           "service_role": ["all"]}
COLUMN_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "REFERENCES")


def _grants(ctx: Ctx, ent: Entity, key: str, cols: EntityColumns | None = None) -> tuple[Grant, ...]:
    """Global grants, then the entity's (Supabase's defaults stated explicitly unless the spec
    grants something to that role itself), then column privileges carved out of them."""
    merged: dict[str, set[str]] = {}
    defaults = SUPABASE_DEFAULT_GRANTS if ctx.flavor == "supabase" else {}
    defaults = {r: p for r, p in defaults.items() if r not in ctx.spec.grants and r not in ent.grants}
    for source, path in ((defaults, ("grants",)), (ctx.spec.grants, ("grants",)),
                         (ent.grants, ("entities", key, "grants"))):
        for role, privs in source.items():
            got = merged.setdefault(role, set())
            for p in privs:
                up = p.upper()
                if up == "ALL":
                    got.update(PRIVILEGES)
                elif up in PRIVILEGES:
                    got.add(up)
                else:
                    ctx.error("RS060", f"unknown privilege '{p}'", path + (role,),
                              "use select, insert, update, delete, truncate, references, trigger or all")
    table = {r: p for r, p in merged.items() if p}
    columns = _column_privileges(ctx, cols, table) if cols else []
    out = [Grant(r, tuple(sorted(p))) for r, p in table.items() if p]
    return tuple(sorted(out + columns, key=lambda g: (g.role, bool(g.columns), g.privileges, g.columns)))


def _column_privileges(ctx: Ctx, cols: EntityColumns, table: dict[str, set[str]]) -> list[Grant]:
    """`privileges: {update: [service_role]}` on a column: only those roles may update it. A role
    holding UPDATE on the table loses it there and gets UPDATE on every other column instead
    (PostgreSQL checks a table privilege before column privileges)."""
    restricted: dict[str, dict[str, set[str]]] = {}      # privilege -> column -> allowed roles
    for name, info in cols.columns.items():
        for priv, roles in info.full.privileges.items():
            restricted.setdefault(priv.upper(), {})[name] = set(roles)
    out: list[Grant] = []
    everything = [c for c in cols.columns]
    for priv, per_column in sorted(restricted.items()):
        roles = set(table) | {r for allowed in per_column.values() for r in allowed}
        for role in sorted(roles):
            denied = {c for c, allowed in per_column.items() if role not in allowed}
            if priv in table.get(role, set()):
                if not denied:
                    continue
                table[role].discard(priv)
                wanted = [c for c in everything if c not in denied]
            else:
                wanted = [c for c, allowed in per_column.items() if role in allowed]
            if wanted:
                out.append(Grant(role, (priv,), tuple(sorted(wanted))))
    return out
