"""How many rows each table gets and in what order they are made: parents first; each table's
main parent (the foreign key its rows are spread over); per-parent caps from unique keys;
counts from `sample:` hints (rows, per), every ratio scaled by one factor to a requested total."""
from __future__ import annotations

import re
from dataclasses import dataclass

from generator.diagnostics import Diagnostic, GenError
from generator.model import Column, DataType, ForeignKey, PrimaryKey, SampleHints, Schema, Table, Unique

NOMINAL_ROOT = 10          # rows of a table nothing constrains, before scaling
DEFAULT_PER = 3            # rows per parent row when the spec does not say
AUTH_USERS = ("auth", "users")


@dataclass
class TablePlan:
    table: Table
    count: int
    parent: ForeignKey | None = None     # the main parent: rows are spread over its rows
    per: float = 1.0
    cap: int | None = None               # at most this many rows per parent row (unique keys)
    hints: SampleHints | None = None
    fixed: bool = False                  # count given by the spec (`rows:`), not scaled
    external: bool = False               # a table outside the spec (auth.users)


def auth_users() -> Table:
    """The columns of Supabase's auth.users that sample rows fill (the shim has the same)."""
    cols = (Column("id", DataType("uuid"), False), Column("email", DataType("text")),
            Column("raw_user_meta_data", DataType("jsonb"), False, "'{}'::jsonb"),
            Column("created_at", DataType("timestamp with time zone"), False, "now()"))
    return Table("users", cols, "auth", PrimaryKey("users_pkey", ("id",)), uniques=(Unique("users_email_key", ("email",)),))


def _fail(message: str, hint: str) -> GenError:
    return GenError([Diagnostic("SM001", message, name="sample.plan", hint=hint)])


def tables_in_order(schema: Schema) -> list[tuple[Table, bool]]:
    """(table, external) parents before children; a cycle is broken at a nullable key."""
    tables = {t.key: t for t in schema.tables}
    for t in schema.tables:
        for fk in t.foreign_keys:
            key = (fk.ref_schema, fk.ref_table)
            if key in tables:
                continue
            if key == AUTH_USERS and schema.settings.flavor == "supabase":
                tables[key] = auth_users()
            elif any(not t.column(c).nullable for c in fk.columns):
                raise _fail(f"{t.name}.{fk.name} references {fk.ref_schema}.{fk.ref_table}, which sample data "
                            "cannot fill", "add the referenced table to the spec, or make the reference nullable")
    order, done, visiting = [], set(), set()

    def visit(t: Table, strict: bool) -> None:
        if t.key in done or t.key in visiting:
            if t.key in visiting and strict:
                raise _fail(f"required foreign keys form a cycle through {t.name}", "make one of them nullable")
            return
        visiting.add(t.key)
        for fk in t.foreign_keys:
            target = tables.get((fk.ref_schema, fk.ref_table))
            if target is not None and target.key != t.key:
                required = any(not t.column(c).nullable for c in fk.columns)
                if required or target.key not in visiting:
                    visit(target, required)
        visiting.discard(t.key)
        done.add(t.key)
        order.append(t)

    for t in tables.values():
        visit(t, True)
    return [(t, t.key not in schema.tables_by_key) for t in order]


def main_parent(t: Table, schema: Schema, made: set) -> ForeignKey | None:
    """The foreign key a table's rows are spread over (see docs/sample.md for the order)."""
    hints = t.meta.sample
    fks = [fk for fk in t.foreign_keys if (fk.ref_schema, fk.ref_table) in made and (fk.ref_schema, fk.ref_table) != t.key]
    if hints and hints.per_table:
        named = [fk for fk in fks if (fk.ref_schema, fk.ref_table) == (hints.per_schema, hints.per_table)]
        if named:
            return named[0]
    # required references, and the tenant's even when nullable (rows are spread over tenants)
    required = [fk for fk in fks if all(not t.column(c).nullable for c in fk.columns)
                or fk.columns == (t.meta.tenant_column,)]
    return min(required, key=lambda fk: (_rank(t, fk, schema), required.index(fk)), default=None)


def fk_core(t: Table, fk: ForeignKey) -> set[str]:
    """The columns of a foreign key that pick the parent: a tenant-consistent key's tenant (or
    owner) column, `(company_id, parent_id)`, follows from the parent and is left out."""
    core = set(fk.columns) - {t.meta.tenant_column} or set(fk.columns)
    if len(core) > 1:                    # (user_id, session_id): the session picks, user_id follows
        core = core - {t.meta.owner_column} or core
    return core


def one_per_parent(t: Table, fk: ForeignKey) -> bool:
    """A unique key made of the foreign key's columns: each parent row gets one row at most."""
    core = fk_core(t, fk)
    return any(core <= set(k) <= set(fk.columns) for k in unique_keys(t))


def _rank(t: Table, fk: ForeignKey, schema: Schema) -> int:
    target = schema.table(fk.ref_table, fk.ref_schema)
    root = schema.tenancy.root if schema.tenancy else None
    scoped = target is not None and target.name != root and bool(target.meta.tenant_column or target.meta.owner_column)
    keys = unique_keys(t)
    if one_per_parent(t, fk):
        return -1                       # one row per parent row: only the main parent can give that
    keyed = any(fk_core(t, fk) <= set(k) for k in keys)
    tenant_fk = t.meta.tenant_column in fk.columns and len(fk.columns) == 1
    owner_fk = t.meta.owner_column in fk.columns
    if scoped and keyed:
        return 0
    if scoped and not tenant_fk:
        return 1
    if owner_fk:
        return 2
    if keyed and not tenant_fk:
        return 3
    if tenant_fk:
        return 4
    return 5


def unique_keys(t: Table) -> list[tuple[str, ...]]:
    keys = [t.primary_key.columns] if t.primary_key else []
    keys += [u.columns for u in t.uniques]
    keys += [i.columns for i in t.indexes if i.unique and i.columns and len(i.columns) == len(i.elements)]
    return keys


def folded_keys(t: Table) -> list[tuple[str, ...]]:
    """Unique indexes on expressions (`lower(email)`), as the columns they read: sample rows
    keep them unique case-insensitively, which is what such an index usually means."""
    out = []
    for i in t.indexes:
        if not i.unique or all(e.column for e in i.elements):
            continue
        cols = [e.column for e in i.elements if e.column]
        for e in i.elements:
            if e.expression:
                cols += [c.name for c in t.columns if re.search(rf'\b{re.escape(c.name)}\b', e.expression)]
        if cols:
            out.append(tuple(dict.fromkeys(cols)))
    return out


def cap_for(t: Table, fk: ForeignKey | None, domains: dict[str, int | None]) -> int | None:
    """Rows per parent row that unique keys allow: 1 when a key is the FK's columns only, else
    the product of the other key columns' finite domains (None when one is unbounded)."""
    if fk is None:
        return None
    caps = []
    core = fk_core(t, fk)
    for key in unique_keys(t):
        if not core <= set(key):
            continue
        rest = [c for c in key if c not in fk.columns]
        if not rest:
            return 1
        product = 1
        for c in rest:
            if domains.get(c) is None:
                product = None
                break
            product *= domains[c]
        if product is not None:
            caps.append(product)
    return min(caps) if caps else None


def plan(schema: Schema, domains: dict, total: int | None = None, rows_per_table: int | None = None,
         at_least: dict | None = None) -> list[TablePlan]:
    """`domains[(schema, table)][column]` is each column's number of distinct values (None:
    unbounded). `rows_per_table` gives every table that count (capped); else `total` scales
    every table without a fixed `rows:` so the sum comes near it. `at_least` then raises the
    count of some tables (by key) without growing the tables below them."""
    out, made = [], set()
    for t, external in tables_in_order(schema):
        hints = schema.sample.for_external(t.key) if external else t.meta.sample
        fk = main_parent(t, schema, made)
        made.add(t.key)
        cap = cap_for(t, fk, domains.get(t.key, {}))
        per = hints.per if hints and hints.per is not None else (1 if cap == 1 else DEFAULT_PER)
        fixed = bool(hints and hints.rows is not None)
        out.append(TablePlan(t, 0, fk, float(per), cap, hints, fixed, external))
    if rows_per_table is not None:
        _counts(out, lambda p, parent: rows_per_table)
    else:
        _counts(out, lambda p, parent: NOMINAL_ROOT if parent is None else parent.count * p.per)
        if total:
            _scale(out, total)
    by_key = {p.table.key: p for p in out}
    for key, n in (at_least or {}).items():
        if key in by_key:
            _raise(by_key, by_key[key], n)
    return out


def _raise(by_key: dict, p: TablePlan, n: int) -> None:
    """At least n rows in p (fixed counts too); a parent that caps it (one row per parent row)
    is raised first."""
    if p.count >= n:
        return
    parent = by_key[(p.parent.ref_schema, p.parent.ref_table)] if p.parent else None
    if parent is not None and p.cap is not None:
        _raise(by_key, parent, -(-n // p.cap))
        n = min(n, parent.count * p.cap)
    p.count = max(p.count, n)


def _counts(plans: list[TablePlan], nominal) -> None:
    """Counts top-down: fixed tables keep theirs, others take `nominal(plan, parent_plan)`,
    capped per parent row by unique keys."""
    by_key = {p.table.key: p for p in plans}
    for p in plans:
        parent = by_key[(p.parent.ref_schema, p.parent.ref_table)] if p.parent else None
        if p.fixed:
            p.count = p.hints.rows
            continue
        count = nominal(p, parent)
        if parent is not None and p.cap is not None:
            count = min(count, parent.count * p.cap)
        p.count = max(0, int(round(count)))


def _scale(plans: list[TablePlan], total: int) -> None:
    """Find one factor f that every ratio (and every top-level count) is multiplied by, so the
    total comes near `total`: growing or shrinking, each level keeps its share (a tenant gets
    more users, customers and messages alike). Fixed counts and one-per-parent tables stay."""
    base = {p.table.key: p.count for p in plans}
    factor = [1.0]

    def nominal(p, parent):
        if parent is None:
            return max(1.0, base[p.table.key] * factor[0])
        return parent.count * p.per * (1.0 if p.cap == 1 else factor[0])

    def total_at(f: float) -> int:
        factor[0] = f
        _counts(plans, nominal)
        return sum(p.count for p in plans)

    lo, hi = 0.0, 1.0
    while total_at(hi) < total and hi < 1e6:
        lo, hi = hi, hi * 2
    if lo == 0.0:
        while total_at(hi) > total and hi > 1e-6:
            hi, lo = hi / 2, hi / 2
        hi = lo * 2
    for _ in range(40):
        mid = (lo + hi) / 2
        if total_at(mid) < total:
            lo = mid
        else:
            hi = mid
    total_at(hi)
