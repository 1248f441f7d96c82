"""Foreign keys: per-column `ref:` and entity `foreign_keys:` (composite) into model ForeignKeys,
made scope-consistent where rows are isolated: between tenant-scoped entities the key carries the
tenant column, `(company_id, agent_id) -> agents (company_id, id)` over a generated
`UNIQUE (company_id, id)`, so no row can point at another tenant's row (foreign-key checks ignore
RLS); `same_owner: true` does the same with owner columns."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from generator.model import ForeignKey, Unique
from generator.model.naming import constraint_name
from generator.resolve.columns import ColumnSyntaxError, split_ref
from generator.resolve.columns_pass import EntityColumns
from generator.resolve.context import SUPABASE_TABLES, Ctx
from generator.spec.schema import Entity, ForeignKeyFull, ForeignKeyTarget, RefFull

SET_ACTIONS = ("SET NULL", "SET DEFAULT")


@dataclass
class Ref:
    """One declared reference before scope columns are added."""

    columns: tuple[str, ...]
    target: str                          # entity key, or schema.table
    ref_columns: tuple[str | None, ...]  # None: the target's primary key
    full: RefFull | ForeignKeyFull
    path: tuple
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"


@dataclass
class References:
    """Foreign keys per entity, and the unique constraints scope-consistent keys need on
    their targets (entity -> column tuples)."""

    fks: dict[str, list[ForeignKey]] = field(default_factory=dict)
    parent_uniques: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Scope:
    tenant: str | None = None            # tenant column, for tenant-scoped (non-root) entities
    tenant_nullable: bool = False
    owner: str | None = None
    owner_nullable: bool = False


def scopes(ctx: Ctx, entities: dict[str, Entity], all_cols: dict[str, EntityColumns]) -> dict[str, Scope]:
    root = ctx.spec.tenancy.root if ctx.spec.tenancy else None
    out = {}
    for key, ent in entities.items():
        cols = all_cols.get(key)
        if cols is None:
            continue
        tenant = cols.tenant_column if ent.tenant and key != root and cols.tenant_column in cols.columns else None
        owner = ent.owner if ent.owner in cols.columns else None
        out[key] = Scope(tenant, bool(tenant and cols.columns[tenant].column.nullable),
                         owner, bool(owner and cols.columns[owner].column.nullable))
    return out


def resolve_references(ctx: Ctx, entities: dict[str, Entity], all_cols: dict[str, EntityColumns]) -> References:
    out = References()
    scope = scopes(ctx, entities, all_cols)
    for key, ent in entities.items():
        cols = all_cols.get(key)
        if cols is None:
            continue
        fks: list[ForeignKey] = []
        for ref in _declared(ctx, key, ent, cols):
            fks += _foreign_keys(ctx, key, cols, ref, all_cols, scope, out)
        names: dict[str, ForeignKey] = {}
        for fk in fks:
            if fk.name in names:
                ctx.diags.add("RS111", f"two foreign keys of '{key}' are named '{fk.name}'", fk.loc,
                              f"entities.{key}", "give one of them `name:`")
            names[fk.name] = fk
        out.fks[key] = fks
    return out


def _declared(ctx: Ctx, key: str, ent: Entity, cols: EntityColumns) -> list[Ref]:
    refs = []
    for name, ci in cols.columns.items():
        if ci.full.ref is None:
            continue
        full = RefFull(entity=ci.full.ref) if isinstance(ci.full.ref, str) else ci.full.ref
        try:
            target, col = split_ref(full.entity)
        except ColumnSyntaxError as e:
            ctx.error("RS050", str(e), ci.path, e.hint)
            continue
        refs.append(Ref((name,), target, (full.column or col,), full, ci.path,
                        (full.on_delete or ci.full.on_delete or "no action").upper(),
                        (full.on_update or ci.full.on_update or "no action").upper()))
    for i, fk in enumerate(ent.foreign_keys):
        path = ("entities", key, "foreign_keys", i)
        target = fk.references
        if isinstance(target, str):
            try:
                entity, ref_cols = _parse_target(target)
            except ColumnSyntaxError as e:
                ctx.error("RS050", str(e), path + ("references",), e.hint)
                continue
        else:
            entity, ref_cols = target.entity, tuple(target.columns)
        if ref_cols and len(ref_cols) != len(fk.columns):
            ctx.error("RS112", f"foreign key of '{key}' has {len(fk.columns)} column(s) but references "
                      f"{len(ref_cols)}", path, "list as many referenced columns as referencing ones")
            continue
        missing = [c for c in fk.columns if c not in cols.columns and c not in cols.inherited]
        if missing:
            close = difflib.get_close_matches(missing[0], list(cols.columns), n=1)
            ctx.error("RS054", f"'{key}' has no column '{missing[0]}'", path + ("columns",),
                      f"did you mean '{close[0]}'?" if close else "list existing columns")
            continue
        refs.append(Ref(tuple(fk.columns), entity, ref_cols or (None,) * len(fk.columns), fk, path,
                        (fk.on_delete or "no action").upper(), (fk.on_update or "no action").upper()))
    return refs


def _parse_target(text: str) -> tuple[str, tuple[str, ...]]:
    """`agents(company_id, id)` -> ("agents", ("company_id", "id")); `agents` -> ("agents", ())."""
    text = text.strip()
    if "(" not in text:
        return text, ()
    if not text.endswith(")"):
        raise ColumnSyntaxError(f"cannot read reference '{text}'", "write entity(col, …)")
    entity, inner = text[:-1].split("(", 1)
    cols = tuple(c.strip() for c in inner.split(","))
    if not entity.strip() or not all(cols):
        raise ColumnSyntaxError(f"cannot read reference '{text}'", "write entity(col, …)")
    return entity.strip(), cols


def _target_columns(ctx: Ctx, ref: Ref, all_cols: dict[str, EntityColumns]):
    """(schema, table, referenced columns, their types or None) or None after an error."""
    target = ref.target
    if target in ctx.entities:
        info, tcols = ctx.entities[target], all_cols.get(target)
        if tcols is None:
            return None
        wanted = list(ref.ref_columns)
        if wanted == [None] * len(wanted):
            if len(tcols.pk) != len(wanted):
                ctx.error("RS051", f"'{target}' has no {'single-column ' if len(wanted) == 1 else ''}primary key "
                          f"of {len(wanted)} column(s) to reference", ref.path, "name the column(s): `-> target(column)`")
                return None
            wanted = list(tcols.pk)
        for c in wanted:
            if c not in tcols.columns and c not in tcols.inherited:
                ctx.error("RS051", f"'{target}' has no column '{c}'", ref.path, "reference an existing column")
                return None
        return info.schema, info.table, tuple(wanted), tuple(_col(tcols, c).column.type for c in wanted)
    if "." in target:
        schema, table = target.split(".", 1)
        known = SUPABASE_TABLES.get((schema, table)) if ctx.flavor == "supabase" else None
        if None in ref.ref_columns and (known is None or len(ref.ref_columns) != 1):
            ctx.error("RS051", f"external table '{target}' needs its column: `-> {target}(id)`", ref.path,
                      "name the referenced column")
            return None
        from generator.model.types import DataType
        cols = tuple(c or "id" for c in ref.ref_columns)
        types = tuple(DataType(known[c]) if known and c in known else None for c in cols)
        return schema, table, cols, types
    close = difflib.get_close_matches(target, list(ctx.entities), n=1)
    ctx.error("RS051", f"reference to unknown entity '{target}'", ref.path,
              (f"did you mean '{close[0]}'? " if close else "") + "reference an entity key (or schema.table)")
    return None


def _types_match(ctx: Ctx, ref: Ref, cols: EntityColumns, ref_table: str, ref_cols, ref_types) -> bool:
    for name, rcol, rtype in zip(ref.columns, ref_cols, ref_types):
        col = _col(cols, name).column
        if rtype is not None and not _compatible(rtype, col.type):
            ctx.error("RS052", f"'{name}' is {col.type.sql} but references {ref_table}.{rcol} of type "
                      f"{rtype.sql}", _col(cols, name).path, f"declare '{name}' as {rtype.sql}")
            return False
    return True


def _col(cols: EntityColumns, name: str):
    """A column of the entity, or one it inherits (partitions, INHERITS)."""
    return cols.columns.get(name) or cols.inherited[name]


def _compatible(a, b) -> bool:
    """Types a foreign key may join: the same, or of one family PostgreSQL compares with the key's
    operator class (integers of any width; text and varchar)."""
    if (a.enum, a.array_dims) != (b.enum, b.array_dims):
        return False
    return a.base == b.base or (not a.enum and any(a.base in f and b.base in f for f in KEY_FAMILIES))


KEY_FAMILIES = (frozenset({"smallint", "integer", "bigint"}), frozenset({"text", "character varying"}))


def _scope_pairs(ctx: Ctx, key: str, ref: Ref, scope: dict[str, Scope]) -> list[tuple[str, str, str, bool]]:
    """(kind, child column, parent column, child column nullable) the key must carry along."""
    mine, theirs = scope.get(key, Scope()), scope.get(ref.target)
    pairs = []
    same_tenant = ref.full.same_tenant
    if same_tenant == "shared":
        if theirs is None or not (mine.tenant and theirs.tenant and theirs.tenant_nullable):
            ctx.error("RS117", f"same_tenant: shared: '{ref.target}' has no rows of no tenant to share "
                      "(its tenant column is required)", ref.path,
                      "shared is for a parent with `tenant: {required: false}`; drop it to keep the default key")
    elif theirs is not None and mine.tenant and theirs.tenant and same_tenant is not False \
            and mine.tenant not in ref.columns:
        pairs.append(("tenant", mine.tenant, theirs.tenant, mine.tenant_nullable))
    elif same_tenant:
        ctx.error("RS113", f"same_tenant: '{key}' -> '{ref.target}' is not a reference between two tenant-scoped "
                  "entities", ref.path, "mark both entities `tenant: true`, or drop same_tenant")
    if ref.full.same_owner:
        if theirs is None or not (mine.owner and theirs.owner):
            ctx.error("RS114", f"same_owner: '{key}' and '{ref.target}' both need an owner column", ref.path,
                      "set `owner:` on both entities, or drop same_owner")
        elif mine.owner not in ref.columns:
            pairs.append(("owner", mine.owner, theirs.owner, mine.owner_nullable))
    return pairs


def _crosses(full: RefFull | ForeignKeyFull) -> tuple[str, ...]:
    """Scopes the spec says this reference may cross (`same_tenant: false`, `same_owner: false`)."""
    return tuple(k for k, v in (("tenant", full.same_tenant), ("owner", full.same_owner)) if v is False)


def _foreign_keys(ctx: Ctx, key: str, cols: EntityColumns, ref: Ref, all_cols, scope, out: References
                  ) -> list[ForeignKey]:
    got = _target_columns(ctx, ref, all_cols)
    if got is None:
        return []
    schema, ref_table, ref_cols, ref_types = got
    if not _types_match(ctx, ref, cols, ref_table, ref_cols, ref_types):
        return []
    table = ctx.entities[key].table
    full = ref.full
    for name in ref.columns:
        if ref.on_delete == "SET NULL" and not _col(cols, name).column.nullable:
            ctx.error("RS053", f"'{name}' is NOT NULL but its reference says ON DELETE SET NULL",
                      _col(cols, name).path, "make the column nullable (drop the '!') or choose cascade/restrict")
    from generator.model.conventions import foreign_key
    name = full.name or foreign_key(ctx.convention, table, ref.columns, ref_table, ref_cols)
    if full.name:
        ctx.check_name(full.name, "constraint", ref.path)
    base = ForeignKey(name, ref.columns, ref_table, ref_cols, schema, ref.on_delete, ref.on_update,
                      full.deferrable or full.initially_deferred, full.initially_deferred,
                      (full.match or "simple").upper(), not full.not_valid, owner_declared=full.same_owner,
                      crosses=_crosses(full),
                      loc=ctx.loc(*ref.path))
    pairs = _scope_pairs(ctx, key, ref, scope)
    if full.same_tenant == "shared":
        mine, theirs = scope.get(key), scope.get(ref.target)
        if not (mine and theirs and mine.tenant and theirs.tenant):
            return [base]                                # RS117 said why
        from dataclasses import replace as _replace
        return [_replace(base, shared=(mine.tenant, theirs.tenant))]
    if not pairs:
        return [base]
    kinds = tuple(p[0] for p in pairs)
    mine = tuple(p[1] for p in pairs) + ref.columns
    theirs = tuple(p[2] for p in pairs) + ref_cols
    out.parent_uniques.setdefault(ref.target, [])
    if theirs not in out.parent_uniques[ref.target]:
        out.parent_uniques[ref.target].append(theirs)
    if any(p[3] for p in pairs):
        # A scope column that may be NULL (rows of no tenant): MATCH SIMPLE skips such rows, so
        # the plain key keeps checking that the parent exists and carries the declared action;
        # the scope key (NO ACTION, checked after the cascade) keeps rows within their scope.
        scoped = ForeignKey(constraint_name(table, list(ref.columns), f"{kinds[0]}_fkey"), mine, ref_table, theirs,
                            schema, "NO ACTION", "NO ACTION", base.deferrable, base.initially_deferred, "SIMPLE",
                            base.validated, scope=kinds, owner_declared=full.same_owner, loc=base.loc)
        return [base, scoped]
    delete_columns = ref.columns if ref.on_delete in SET_ACTIONS else ()
    if delete_columns and ctx.spec.database.version < 15:
        ctx.error("RS115", f"ON DELETE {ref.on_delete} on a key that carries the {kinds[0]} column needs "
                  "PostgreSQL 15 (SET NULL of some columns only)", ref.path,
                  "set `database: {version: 15}` or newer, or choose cascade/restrict")
    if (full.match or "simple") == "full" and any(_col(cols, c).column.nullable for c in ref.columns):
        ctx.error("RS116", f"MATCH FULL on a {kinds[0]}-consistent key whose column may be NULL would refuse "
                  "every NULL reference", ref.path, "drop `match: full` (the scope column is never NULL)")
    from dataclasses import replace
    return [replace(base, columns=mine, ref_columns=theirs, delete_columns=delete_columns, scope=kinds)]


def parent_uniques(ctx: Ctx, key: str, refs: References, pk: tuple[str, ...], uniques: list[Unique]) -> list[Unique]:
    """The UNIQUE constraints scope-consistent keys of other tables need on `key`'s table,
    where no primary key or unique constraint already covers exactly those columns."""
    table = ctx.entities[key].table
    have = {frozenset(pk)} | {frozenset(u.columns) for u in uniques}
    out = []
    for cols in refs.parent_uniques.get(key, ()):
        if frozenset(cols) in have:
            continue
        have.add(frozenset(cols))
        out.append(Unique(constraint_name(table, list(cols), "key"), cols))
    return out
