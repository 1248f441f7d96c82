"""Indexes of an imported table as the spec writes them: the `index` column flag, the list
form `[a, b]`, or the full mapping; anything the spec cannot say exactly is a loss."""
from __future__ import annotations

import re

from generator.importer.context import ImportCtx, table_obj
from generator.importer.keys import expr_columns, valid_expression
from generator.model import Index, Table
from generator.model import conventions as names
from generator.model.naming import constraint_name, quote_ident

METHODS = ("btree", "hash", "gin", "gist", "brin", "spgist", "hnsw", "ivfflat", "bloom", "rum")


def plan_indexes(ctx: ImportCtx, t: Table, cols: set[str], trait_cols: set[str],
                 skip: set[str]) -> tuple[list, set[str]]:
    """(entity index entries, columns to flag `index`); `skip` are indexes the resolver adds
    by itself for foreign keys."""
    entries, flags = [], set()
    soft = ctx.soft_deleted.get(t.key)
    skip = skip | {u.name for u in soft.uniques} if soft else skip
    for i in t.indexes:
        if i.name in skip:
            continue
        why = _unrepresentable(ctx, t, i, cols)
        if why:
            ctx.lose(table_obj(t), f"index {i.name}", why, "not imported")
            continue
        own = i.columns[0] in {c.name for c in t.columns} if i.columns else False
        if _flaggable(t, i, ctx.convention) and own and i.columns[0] not in trait_cols | flags:
            flags.add(i.columns[0])
        else:
            entries.append(index_entry(i, t.name, convention=ctx.convention))
    return entries, flags


def auto_fk_indexes(ctx: ImportCtx, t: Table, cols: set[str], covered: list[tuple[str, ...]],
                    fk_columns: list[tuple[str, ...]], scoped: dict | None = None) -> set[str] | None:
    """Names of the indexes the resolver's FK-index rule (naming.index_foreign_keys) would make
    for t exactly as they are; None when it would make one the database lacks. As the resolver
    does, an index covers a key when its leading columns are the key's in any order, and a
    tenant-consistent key (`scoped`: own columns -> whole key) also by its whole column list."""
    scoped = scoped or {}
    candidates = {i.name for i in t.indexes if _auto_shape(t, i, ctx.convention) and i.columns in fk_columns}
    while True:
        declared = [i for i in t.indexes if i.name not in candidates and not _unrepresentable(ctx, t, i, cols)]
        prefixes = list(covered) + [i.columns for i in declared if i.method == "btree" and i.where is None]
        used: set[str] = set()
        for fk in fk_columns:
            whole = scoped.get(fk, fk)
            if any(set(p[:len(x)]) == set(x) and len(p) >= len(x) for p in prefixes for x in (fk, whole)):
                continue
            name = names.index(ctx.convention, t.name, fk)
            if name not in candidates:
                return None
            used.add(name)
            prefixes.append(fk)
        if used == candidates:
            return used
        candidates = used


def _auto_shape(t: Table, i: Index, convention: str = "gen") -> bool:
    """A plain btree index on columns, named as the resolver names the indexes it adds."""
    plain = all(e.column and not (e.opclass or e.descending or e.nulls or e.collation) for e in i.elements)
    return (plain and i.method == "btree" and not i.unique and not (i.where or i.include or i.params
                                                                   or i.nulls_not_distinct or i.comment)
            and i.name == names.index(convention, t.name, i.columns))


def _unrepresentable(ctx: ImportCtx, t: Table, i: Index, cols: set[str]) -> str | None:
    lost = {c.name for c in t.columns} - cols
    if i.method not in METHODS:
        return f"index method {i.method}"
    if any(e.column and e.column not in cols for e in i.elements) or set(i.include) - cols:
        return "an index on a column not imported"
    if any(e.expression and (expr_columns(e.expression, lost) or not valid_expression(e.expression))
           for e in i.elements):
        return "an index expression the spec cannot hold (unparsable, or on a column not imported)"
    if i.where and (expr_columns(i.where, lost) or not valid_expression(i.where)):
        return "an index predicate the spec cannot hold"
    return None


def _per_element(i: Index) -> bool:
    """Whether the index needs `elements:` (options that differ between its elements)."""
    ops = {e.opclass for e in i.elements}
    has_expr = any(e.expression for e in i.elements)
    return (len(ops) > 1 or any(e.collation or e.nulls for e in i.elements)
            or (has_expr and any(e.descending for e in i.elements)))


def _flaggable(t: Table, i: Index, convention: str = "gen") -> bool:
    e = i.elements[0] if len(i.elements) == 1 else None
    return (e is not None and e.column is not None and not e.opclass and not e.descending and i.method == "btree"
            and not i.unique and not (i.where or i.include or i.params or i.nulls_not_distinct or i.comment)
            and i.name == names.index(convention, t.name, [e.column]))


def _generated_name(t: Table, columns: list[str], expressions: list[str], unique: bool, convention: str = "gen") -> str:
    if columns and not expressions:
        return names.index(convention, t.name, columns, unique)
    parts = list(columns) + [re.sub(r"[^A-Za-z0-9]+", "_", e).strip("_").lower() for e in expressions]
    return constraint_name(t.name, parts, "key" if unique else "idx")


def index_entry(i: Index, table: str, full: bool = False, convention: str = "gen"):
    """An index as the spec writes it (`full`: always the mapping, for materialized views)."""
    t = Table(name=table, columns=())
    if _per_element(i):
        out: dict = {"name": i.name, "elements": [_element(e) for e in i.elements]}
        return _options(i, out)
    has_expr = any(e.expression for e in i.elements)
    columns = [] if has_expr else [e.column for e in i.elements]
    expressions = [e.expression or quote_ident(e.column) for e in i.elements] if has_expr else []
    name_ok = i.name == _generated_name(t, columns, expressions, i.unique, convention)
    opclass = i.elements[0].opclass if i.elements else None
    plain = (not has_expr and i.method == "btree" and not i.unique and not opclass and name_ok
             and not any(e.descending for e in i.elements)
             and not (i.where or i.include or i.params or i.nulls_not_distinct or i.comment))
    if plain and not full:
        return columns
    out: dict = {"columns": columns} if columns else {"expressions": expressions}
    if not name_ok:
        out["name"] = i.name
    if opclass:
        out["ops"] = opclass
    order = {e.column: "desc" for e in i.elements if e.descending and e.column}
    if order:
        out["order"] = order
    return _options(i, out)


def _element(e) -> dict:
    out: dict = {"column": e.column} if e.column else {"expression": e.expression}
    if e.opclass:
        out["ops"] = e.opclass
    if e.collation:
        out["collation"] = e.collation
    if e.descending:
        out["order"] = "desc"
    if e.nulls:
        out["nulls"] = e.nulls
    return out


def _options(i: Index, out: dict) -> dict:
    if i.unique:
        out["unique"] = True
    if i.method != "btree":
        out["using"] = i.method
    if i.where:
        out["where"] = i.where
    if i.include:
        out["include"] = list(i.include)
    if i.params:
        out["with"] = {k: v for k, v in i.params}
    if i.nulls_not_distinct:
        out["nulls_not_distinct"] = True
    if i.comment:
        out["description"] = i.comment
    return out
