"""Keys and constraints of an imported table: the primary key, foreign keys, unique and check
constraints, each put on its column (`pk`, `unique`, `-> target`) where the compact form
reproduces it exactly, else at entity level, else recorded as a loss."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from generator.importer.columns import Flags, Ref, pk_flag_ok
from generator.importer.context import ImportCtx, memo_of, table_obj
from generator.model import Column, ForeignKey, Table
from generator.model.naming import constraint_name, shorten
from generator.resolve.expressions import ExpressionError, check_expression


@dataclass
class Keys:
    """What the entity will say about keys, plus what the FK-index rule needs to know."""

    flags: dict[str, Flags] = field(default_factory=dict)
    primary_key: list[str] | dict | None = None
    uniques: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    covered: list[tuple[str, ...]] = field(default_factory=list)   # pk/unique column lists
    foreign_keys: list = field(default_factory=list)               # entity-level (composite) keys
    scoped: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)  # own columns -> whole key
    fk_columns: list[tuple[str, ...]] = field(default_factory=list)


def expr_columns(expr: str, known) -> list[str]:
    """Column names an expression mentions, in order (the resolver names checks after them)."""
    seen = []
    for quoted, bare in re.findall(r'"([^"]+)"|\b([A-Za-z_][A-Za-z0-9_]*)\b', expr):
        w = quoted or bare
        if w in known and w not in seen:
            seen.append(w)
    return seen


def valid_expression(expr: str) -> bool:
    try:
        check_expression(expr)
    except ExpressionError:
        return False
    return True


def plan_keys(ctx: ImportCtx, t: Table, cols: dict[str, Column], trait_cols: set[str],
              carried: dict[tuple[str, str], dict[str, Column]]) -> Keys:
    keys = Keys(flags={n: Flags() for n in cols})
    every = {**inherited_columns(ctx, t, carried), **cols}     # a partition's keys name its parent's columns
    _primary_key(ctx, t, every, trait_cols, keys)
    for fk in t.foreign_keys:
        _foreign_key(ctx, t, fk, every, trait_cols, carried, keys)
    _uniques(ctx, t, every, trait_cols, keys)
    _checks(ctx, t, every, keys)
    return keys


def inherited_columns(ctx: ImportCtx, t: Table, carried, seen: tuple = ()) -> dict[str, Column]:
    """The columns a partition or inheriting table has from its parents (as carried)."""
    from generator.db.types import split_qualified
    out: dict[str, Column] = {}
    for name in ((t.partition_of,) if t.partition_of else ()) + t.inherits:
        schema, table = split_qualified(name)
        key = (schema or "public", table)
        parent = ctx.model.table(key[1], key[0])
        if parent is None or key in seen:
            continue
        out.update(inherited_columns(ctx, parent, carried, seen + (t.key,)))
        out.update(carried.get(key, {}))
    return out


def _set(keys: Keys, col: str, **kw) -> None:
    f = keys.flags[col]
    keys.flags[col] = Flags(**{**f.__dict__, **kw})


def _constraint_row(ctx: ImportCtx, t: Table, name: str) -> dict:
    rows = memo_of(ctx, "constraint_rows", (ctx.catalog,), lambda: _constraint_rows(ctx.catalog.constraints))
    return rows.get((t.schema, t.name, name), {})


def _constraint_rows(constraints) -> dict:
    """(schema, table, name) -> the catalog row of that constraint (the first, as a scan finds it)."""
    out: dict = {}
    for r in constraints:
        out.setdefault((r["schema"], r["table_name"], r["name"]), r)
    return out


def _primary_key(ctx, t: Table, cols, trait_cols, keys: Keys) -> None:
    pk = t.primary_key
    if pk is None:
        return
    obj, lost = table_obj(t), [c for c in pk.columns if c not in cols]
    if lost:
        ctx.lose(obj, "primary key", f"primary key on column(s) not imported ({', '.join(lost)})", "not imported")
        return
    keys.covered.append(pk.columns)
    only = pk.columns[0]
    named = pk.name != default_name(ctx, "pk", t.name, pk.columns)
    if named or pk.deferrable:
        full: dict = {"columns": list(pk.columns)}
        if named:
            full["name"] = pk.name
        if pk.deferrable:
            full["deferrable"] = True
        if pk.initially_deferred:
            full["initially_deferred"] = True
        keys.primary_key = full
    elif len(pk.columns) == 1 and only not in trait_cols and only in keys.flags and (
            pk_flag_ok(cols[only]) or (t.schema, t.name, only) in ctx.serials):
        _set(keys, only, pk=True)
    else:
        keys.primary_key = list(pk.columns)


def default_name(ctx, kind: str, table: str, columns) -> str:
    """The name the spec's naming convention gives a constraint of `kind` (pk, key)."""
    from generator.model import conventions as names
    if kind == "pk":
        return names.primary_key(ctx.convention, table)
    return names.unique(ctx.convention, table, columns)


def tenant_tables(ctx) -> tuple[str | None, set[tuple[str, str]]]:
    """The tenant column and the tenant-scoped tables (the root left out) the import found."""
    tn = ctx.tenancy
    if tn is None:
        return None, set()
    return tn.column, memo_of(ctx, "tenant_tables", (tn,), lambda: {k for k in tn.policies if k != tn.root})


def scoped_view(ctx, t: Table, fk: ForeignKey) -> ForeignKey | None:
    """A tenant-consistent key as gen makes it, seen over its own columns (what the spec writes),
    or None when `fk` is not one."""
    column, scoped = tenant_tables(ctx)
    if (column is None or t.key not in scoped or (fk.ref_schema, fk.ref_table) not in scoped
            or len(fk.columns) < 2 or fk.columns[0] != column or fk.ref_columns[0] != column):
        return None
    own = replace(fk, columns=fk.columns[1:], ref_columns=fk.ref_columns[1:], scope=("tenant",))
    if fk.delete_columns and fk.delete_columns != own.columns:
        return None
    return replace(own, delete_columns=())


def _derived_twin(ctx, t: Table, fk: ForeignKey) -> bool:
    """The NO ACTION tenant key gen adds beside a plain key when the tenant column may be NULL."""
    own = scoped_view(ctx, t, fk)
    return (own is not None and fk.on_delete == "NO ACTION" and fk.on_update == "NO ACTION"
            and fk.name == constraint_name(t.name, list(own.columns), "tenant_fkey")
            and any(o.columns == own.columns and o.name != fk.name for o in t.foreign_keys))


def _crosses_tenants(ctx, t: Table, fk: ForeignKey) -> bool:
    """A key between two tenant-scoped tables without the tenant column: the spec must say
    `same_tenant: false`, or the resolver would add the column."""
    column, scoped = tenant_tables(ctx)
    twinned = any(_derived_twin(ctx, t, o) and o.columns[1:] == fk.columns for o in t.foreign_keys)
    return (column is not None and t.key in scoped and (fk.ref_schema, fk.ref_table) in scoped
            and column not in fk.columns and not twinned)


def _foreign_key(ctx, t: Table, fk: ForeignKey, cols, trait_cols, carried, keys: Keys) -> None:
    obj, part = table_obj(t), f"foreign key {fk.name}"
    if _derived_twin(ctx, t, fk):
        return
    own = scoped_view(ctx, t, fk)
    if own is not None:
        keys.scoped[own.columns] = fk.columns
    fk = own or fk
    col = fk.columns[0]
    reason = None
    if len(fk.columns) > 1 or col not in keys.flags:
        _composite(ctx, t, fk, cols, carried, keys)
        return
    if col not in cols:
        reason = f"a foreign key on column {col}, which is not imported"
    elif col in trait_cols or keys.flags[col].ref is not None:
        reason = f"a second reference on column {col} (or one on a trait column)"
    elif fk.on_delete == "SET NULL" and not cols[col].nullable:
        reason = "ON DELETE SET NULL on a NOT NULL column (the spec refuses it)"
    ref = None if reason else _ref(ctx, t, fk, cols[col], carried)
    if isinstance(ref, str):
        reason, ref = ref, None
    if ref is None:
        ctx.lose(obj, part, reason or "a reference the spec cannot name", "not imported")
        return
    _set(keys, col, ref=replace(ref, extra=_options(ctx, t, fk)))
    keys.fk_columns.append(fk.columns)


def _options(ctx, t: Table, fk: ForeignKey) -> tuple[tuple[str, object], ...]:
    out = []
    if fk.initially_deferred:
        out.append(("initially_deferred", True))
    if fk.match == "FULL":
        out.append(("match", "full"))
    if not fk.validated:
        out.append(("not_valid", True))
    if not fk.scope and _crosses_tenants(ctx, t, fk):
        out.append(("same_tenant", False))
    return tuple(out)


def _composite(ctx, t: Table, fk: ForeignKey, cols, carried, keys: Keys) -> None:
    """A key over several columns: an entity-level `foreign_keys:` entry."""
    obj, part = table_obj(t), f"foreign key {fk.name}"
    target = (fk.ref_schema, fk.ref_table)
    missing = [c for c in fk.columns if c not in cols]
    if missing:
        ctx.lose(obj, part, f"a foreign key on column {missing[0]}, which is not imported", "not imported")
        return
    if target in ctx.keys:
        have = carried.get(target, {})
        if any(c not in have for c in fk.ref_columns):
            ctx.lose(obj, part, "a reference to columns that are not imported", "not imported")
            return
        entity = ctx.keys[target]
    elif re.match(r"^[A-Za-z_]\w*$", fk.ref_schema) and re.match(r"^[A-Za-z_]\w*$", fk.ref_table):
        entity = f"{fk.ref_schema}.{fk.ref_table}"
    else:
        ctx.lose(obj, part, f"a reference to {fk.ref_schema}.{fk.ref_table}, a name the spec cannot spell",
                 "not imported")
        return
    if fk.delete_columns and fk.delete_columns != fk.columns:
        ctx.lose(obj, part, f"ON DELETE {fk.on_delete} ({', '.join(fk.delete_columns)})",
                 f"ON DELETE {fk.on_delete} of every column")
    entry: dict = {"columns": list(fk.columns), "references": f"{entity}({', '.join(fk.ref_columns)})"}
    for key in ("on_delete", "on_update"):
        if getattr(fk, key) != "NO ACTION":
            entry[key] = getattr(fk, key).lower()
    if fk.deferrable:
        entry["deferrable"] = True
    entry.update(dict(_options(ctx, t, fk)))
    if fk.name != _fk_name(ctx, t, fk):
        entry["name"] = fk.name
    keys.foreign_keys.append(entry)
    keys.fk_columns.append(fk.columns)


def _ref(ctx, t: Table, fk: ForeignKey, col: Column, carried) -> Ref | str:
    """The reference as the spec writes it, or why it cannot be written."""
    target, ref_col = (fk.ref_schema, fk.ref_table), fk.ref_columns[0]
    action = {a: None if getattr(fk, a) == "NO ACTION" else getattr(fk, a).lower() for a in ("on_delete", "on_update")}
    name = None if fk.name == _fk_name(ctx, t, fk) else fk.name
    if target in ctx.keys:
        tcols = carried.get(target, {})
        if ref_col not in tcols:
            return f"a reference to {fk.ref_table}.{ref_col}, which is not imported"
        rt = tcols[ref_col].type
        from generator.resolve.references import _compatible
        if not _compatible(rt, col.type):
            return (f"a reference from {col.type.sql} to {rt.sql} (the spec requires equal types, RS052)")
        tpk = memo_of(ctx, "primary_keys", (ctx.model,), lambda: _primary_keys(ctx.model)).get(target, ())
        column = None if tuple(tpk) == (ref_col,) and all(c in tcols for c in tpk) else ref_col
        return Ref(ctx.keys[target], column, action["on_delete"], action["on_update"], fk.deferrable, name)
    if not (re.match(r"^[A-Za-z_]\w*$", fk.ref_schema) and re.match(r"^[A-Za-z_]\w*$", fk.ref_table)):
        return f"a reference to {fk.ref_schema}.{fk.ref_table}, a name the spec cannot spell"
    entity = f"{fk.ref_schema}.{fk.ref_table}"
    column = None if ctx.flavor == "supabase" and target == ("auth", "users") and ref_col == "id" else ref_col
    return Ref(entity, column, action["on_delete"], action["on_update"], fk.deferrable, name)


def _primary_keys(model) -> dict:
    """Table key -> primary key columns (the first table of a key wins, as a scan would find it)."""
    out: dict = {}
    for x in model.tables:
        if x.primary_key:
            out.setdefault(x.key, x.primary_key.columns)
    return out


def _uniques(ctx, t: Table, cols, trait_cols, keys: Keys) -> None:
    obj = table_obj(t)
    soft = ctx.soft_deleted.get(t.key)
    for u in t.uniques + tuple(soft.uniques if soft else ()):
        part, row = f"unique {u.name}", _constraint_row(ctx, t, u.name)
        if _scope_unique(ctx, t, u):
            keys.covered.append(u.columns)
            continue
        if any(c not in cols for c in u.columns):
            ctx.lose(obj, part, "a unique constraint on a column not imported", "not imported")
            continue
        if any(c not in cols for c in u.include):
            ctx.lose(obj, part, "a unique constraint including a column not imported", "not imported")
            continue
        keys.covered.append(u.columns)
        plain_name = u.name == default_name(ctx, "key", t.name, u.columns)
        plain = plain_name and not (u.nulls_not_distinct or u.include or u.deferrable)
        one = u.columns[0]
        if len(u.columns) == 1 and plain and one in keys.flags and one not in trait_cols and not keys.flags[one].unique:
            _set(keys, one, unique=True)
        elif plain:
            keys.uniques.append(list(u.columns))
        else:
            entry: dict = {"columns": list(u.columns)}
            if not plain_name:
                entry["name"] = u.name
            for flag in ("nulls_not_distinct", "deferrable", "initially_deferred"):
                if getattr(u, flag):
                    entry[flag] = True
            if u.include:
                entry["include"] = list(u.include)
            keys.uniques.append(entry)


def _scope_unique(ctx, t: Table, u) -> bool:
    """The UNIQUE (tenant column, primary key) gen adds to a table tenant-consistent keys point at."""
    column, scoped = tenant_tables(ctx)
    if column is None or t.key not in scoped or t.primary_key is None:
        return False
    cols = (column,) + t.primary_key.columns
    if u.columns != cols or u.nulls_not_distinct or u.name != constraint_name(t.name, list(cols), "key"):
        return False
    return (t.key, cols) in memo_of(ctx, "scoped_targets", (ctx.model, ctx.tenancy), lambda: _scoped_targets(ctx))


def _scoped_targets(ctx) -> set:
    """(table, columns) that some tenant-consistent key points at, over the whole model."""
    return {((fk.ref_schema, fk.ref_table), fk.ref_columns) for o in ctx.model.tables for fk in o.foreign_keys
            if scoped_view(ctx, o, fk) is not None}


def _checks(ctx, t: Table, cols, keys: Keys) -> None:
    obj, lost, used = table_obj(t), {c.name for c in t.columns} - set(cols), set()
    for c in t.checks:
        part, row = f"check {c.name}", _constraint_row(ctx, t, c.name)
        if set(expr_columns(c.expression, lost)):
            ctx.lose(obj, part, "a check on a column not imported", "not imported")
            continue
        if not valid_expression(c.expression):
            ctx.lose(obj, part, f"a check the spec's SQL parser cannot read: {c.expression[:80]}", "not imported")
            continue
        if row.get("validated") is False:
            ctx.lose(obj, part, "NOT VALID", "a validated check")
        auto = _auto_check_name(t.name, c.expression, cols, used, ctx.convention)
        used.add(c.name)
        if auto == c.name and not c.no_inherit:
            keys.checks.append(c.expression)
        else:
            keys.checks.append({"name": c.name, "expression": c.expression, **({"no_inherit": True}
                                                                                if c.no_inherit else {})})


def _fk_name(ctx, t: Table, fk: ForeignKey) -> str:
    from generator.model.conventions import foreign_key
    return foreign_key(ctx.convention, t.name, fk.columns, fk.ref_table, fk.ref_columns)


def _auto_check_name(table: str, expr: str, cols, used: set[str], convention: str = "gen") -> str:
    from generator.model.conventions import check
    base = check(convention, table, expr_columns(expr, cols)[:3], expr)
    name, n = base, 2
    while name in used:
        name, n = shorten(f"{base}{n}"), n + 1
    return name
