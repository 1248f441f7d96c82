"""What gen changes by construction for Citus, on distributed tables only:
- a surrogate primary key (one column with a default or identity) gets the distribution
  column in front: `PRIMARY KEY (company_id, id)` (Citus enforces keys shard by shard);
- a unique key holding the own columns of a tenant-consistent foreign key gets it too: those
  columns already fix the tenant, so the key means the same;
- a SET NULL / SET DEFAULT key that carries the distribution column (Citus refuses those) to a
  reference table becomes the plain key with the action plus the scope key with NO ACTION, as
  gen does for nullable tenant columns; `tenancy.citus.on_delete` may name another action.
Everything else that breaks a Citus rule is left for the rules to report."""
from __future__ import annotations

from generator.model import ForeignKey, IndexElement, PrimaryKey, Schema, Table, replace
from generator.model.conventions import foreign_key
from generator.model.naming import constraint_name
from generator.resolve.citus.placement import effective, layout_of
from generator.resolve.context import Ctx

SET_ACTIONS = ("SET NULL", "SET DEFAULT")
UPDATE_ACTIONS = ("CASCADE", "SET NULL", "SET DEFAULT")


def adjust(ctx: Ctx, schema: Schema) -> Schema:
    tables = []
    for t in schema.tables:
        p = effective(schema, t)
        if p is None or p.kind != "distributed" or not p.column:
            tables.append(t)
            continue
        t = _keys(t, p.column)
        t = _foreign_keys(ctx, schema, t, p.column)
        tables.append(t)
    return replace(schema, tables=tuple(tables))


def surrogate(t: Table) -> bool:
    """A one-column primary key whose values the database makes (default, identity, serial)."""
    if t.primary_key is None or len(t.primary_key.columns) != 1:
        return False
    col = t.column(t.primary_key.columns[0])
    return col is not None and bool(col.default or col.identity)


def _keys(t: Table, dist: str) -> Table:
    pk = t.primary_key
    if pk is not None and dist not in pk.columns and surrogate(t) and not t.partition_of:
        pk = PrimaryKey(pk.name, (dist,) + pk.columns, pk.loc, pk.deferrable, pk.initially_deferred)
    scoped = [fk.own_columns for fk in t.foreign_keys if "tenant" in fk.scope]
    uniques = []
    for u in t.uniques:
        if pk is not None and u.loc is None and set(u.columns) == set(pk.columns):
            continue            # the generated UNIQUE (tenant, id) the new primary key makes redundant
        uniques.append(replace(u, columns=(dist,) + u.columns) if _fixed_by(u.columns, dist, scoped) else u)
    indexes = [replace(i, elements=(IndexElement(column=dist),) + i.elements)
               if i.unique and _fixed_by(i.columns, dist, scoped) else i for i in t.indexes]
    return replace(t, primary_key=pk, uniques=tuple(uniques), indexes=tuple(indexes))


def _fixed_by(columns: tuple[str, ...], dist: str, scoped: list[tuple[str, ...]]) -> bool:
    """A key without the distribution column whose columns include a tenant-consistent
    reference (whose value fixes the tenant)."""
    return dist not in columns and any(own and set(own) <= set(columns) for own in scoped)


def _foreign_keys(ctx: Ctx, schema: Schema, t: Table, dist: str) -> Table:
    out: list[ForeignKey] = []
    overrides = layout_of(ctx).on_delete
    for fk in t.foreign_keys:
        if dist not in fk.columns or not (fk.on_delete in SET_ACTIONS or fk.on_update in UPDATE_ACTIONS):
            out.append(fk)
            continue
        named = [f"{t.meta.entity}.{c}" for c in fk.own_columns]
        chosen = next((overrides[n] for n in named if n in overrides), None)
        if chosen is not None and fk.on_delete in SET_ACTIONS:
            out.append(replace(fk, on_delete=chosen.upper(), delete_columns=()))
            continue
        out += _split(ctx, schema, t, fk) or [fk]
    return replace(t, foreign_keys=tuple(sorted(out, key=lambda f: f.name)))


def _split(ctx: Ctx, schema: Schema, t: Table, fk: ForeignKey) -> list[ForeignKey]:
    """(tenant, x) -> parent (tenant, id) ON DELETE SET NULL, to a reference table: the plain
    key x -> parent (id) keeps the action (it does not carry the distribution column), the
    scope key keeps the tenant (NO ACTION, checked after the action ran). [] when that cannot be."""
    parent = schema.table(fk.ref_table, fk.ref_schema)
    if parent is None or "tenant" not in fk.scope or fk.on_update in UPDATE_ACTIONS:
        return []
    p = effective(schema, parent)
    if p is None or p.kind != "reference":
        return []
    n = len(fk.scope)
    own, theirs = fk.columns[n:], fk.ref_columns[n:]
    keys = [parent.primary_key.columns] if parent.primary_key else []
    keys += [u.columns for u in parent.uniques] + [i.columns for i in parent.indexes if i.unique and not i.where]
    if not any(set(k) == set(theirs) for k in keys):
        return []
    plain = replace(fk, name=foreign_key(ctx.convention, t.name, own, parent.name, theirs), columns=own,
                    ref_columns=theirs, delete_columns=(), scope=())
    scoped = replace(fk, name=constraint_name(t.name, list(own), "tenant_fkey"), on_delete="NO ACTION",
                     on_update="NO ACTION", delete_columns=())
    return [plain, scoped]


