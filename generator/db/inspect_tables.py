"""Read tables back from the catalogs into model.Table: columns, keys, checks, indexes,
policies, triggers, grants and RLS flags. Rows come from generator.db.queries."""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Callable

from generator.db import queries
from generator.db.types import canonical_base, split_type
from generator.model import (Check, Column, DataType, Exclusion, ExclusionElement, ForeignKey, Grant, Index,
                             IndexElement, Policy, PrimaryKey, Table, Trigger, Unique)
from generator.model.naming import qualified
from generator.model.objects import identity_options
from generator.model.sqltext import closing_paren

Rows = list[dict[str, Any]]
Fetch = Callable[[str, dict], Rows]

FK_ACTION = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
POLICY_CMD = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}
IDENTITY = {"a": "always", "d": "by default"}
# pg_trigger.tgtype bits (see pg_trigger.h)
_ROW, _BEFORE, _INSERT, _DELETE, _UPDATE, _TRUNCATE, _INSTEAD = 1, 2, 4, 8, 16, 32, 64
_QUERY = re.compile(r"\s*(SELECT|WITH|VALUES)\b", re.IGNORECASE)
_WHEN = re.compile(r" WHEN \((.*)\) EXECUTE (?:FUNCTION|PROCEDURE) ", re.DOTALL)


def strip_outer_parens(expr: str | None) -> str | None:
    """`(a > 0)` -> `a > 0`, only when the outer pair encloses the whole expression and is
    not a scalar subquery's own: `(SELECT f())` stays as it is."""
    if expr is None:
        return None
    text = expr.strip()
    while text.startswith("(") and _closing(text) == len(text) - 1 and not _QUERY.match(text[1:]):
        text = text[1:-1].strip()
    return text


def _closing(text: str) -> int:
    """Index of the parenthesis closing text[0], skipping quoted strings and identifiers."""
    return closing_paren(text)


def column_type(row: dict) -> DataType:
    """DataType from the element type's catalog row; built-in names via format_type()."""
    base, mods, _ = split_type(row["type_format"])
    dims = max(row["ndims"], 1) if row["is_array"] else 0
    if row["type_kind"] == "e":
        return DataType(row["type_name"], (), dims, enum=True, schema=row["type_schema"])
    if row["type_schema"] == "pg_catalog":
        return DataType(canonical_base(base), mods, dims)
    own = row["type_schema"] != "public" and not row.get("type_in_extension")
    return DataType(row["type_name"], mods, dims, schema=row["type_schema"] if own else None)


def _column(row: dict) -> Column:
    generated = row["generated"] == "s"
    dtype = column_type(row)
    return Column(
        name=row["name"], type=dtype, nullable=not row["notnull"],
        default=None if generated else row["expr"], generated=row["expr"] if generated else None,
        identity=IDENTITY.get(row["identity"]), comment=row["comment"], collation=row["collation"],
        identity_options=identity_options(dtype.base, row.get("identity_sequence")))





def _constraint_parts(rows: Rows, elements: dict[int, list[dict]]) -> dict[int, dict[str, list]]:
    out: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        parts, cols = out[r["relid"]], tuple(r["columns"])
        if r["kind"] == "p":
            parts["pk"].append(PrimaryKey(r["name"], cols, deferrable=r["deferrable"], initially_deferred=r["deferred"]))
        elif r["kind"] == "u":
            parts["uniques"].append(Unique(r["name"], cols, r["nulls_not_distinct"], deferrable=r["deferrable"],
                                           initially_deferred=r["deferred"], include=tuple(r["include"] or ())))
        elif r["kind"] == "c":
            parts["checks"].append(Check(r["name"], strip_outer_parens(r["expr"]), no_inherit=r["no_inherit"]))
        elif r["kind"] == "x":
            elems = elements.get(r["index_oid"], [])[: len(r["operators"])]
            parts["exclusions"].append(Exclusion(
                r["name"], tuple(ExclusionElement(op, e.column, e.expression, e.opclass, e.descending, e.nulls)
                                 for op, e in zip(r["operators"], (_element(x) for x in elems))),
                r["method"], strip_outer_parens(r["predicate"]), tuple(r["include"] or ()), r["deferrable"],
                r["deferred"]))
        elif r["kind"] == "f":
            parts["fks"].append(ForeignKey(
                r["name"], cols, r["ref_table"], tuple(r["ref_columns"]), r["ref_schema"],
                FK_ACTION[r["on_delete"]], FK_ACTION[r["on_update"]], r["deferrable"], r["deferred"],
                "FULL" if r["match"] == "f" else "SIMPLE", r["validated"], tuple(r["delete_columns"] or ())))
    return out


def _element(row: dict) -> IndexElement:
    desc, nulls_first = bool(row["opt"] & 1), bool(row["opt"] & 2)
    nulls = "first" if nulls_first and not desc else "last" if desc and not nulls_first else None
    return IndexElement(column=row["column"], expression=strip_outer_parens(row["expression"]),
                        opclass=row["opclass"],
                        descending=desc, nulls=nulls, collation=row["collation"])


def _params(options: list[str] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(tuple(o.split("=", 1)) for o in options or ()))


def index_elements(fetch: Fetch, oids: list[int]) -> dict[int, list[dict]]:
    elements: dict[int, list[dict]] = defaultdict(list)
    for r in fetch(queries.INDEX_ELEMENTS, {"relids": oids}):
        elements[r["oid"]].append(r)
    return elements


def indexes_of(fetch: Fetch, relids: list[int], nnd: bool) -> dict[int, list[Index]]:
    """Indexes (not those behind constraints, nor partitions of a parent's index) per relation."""
    heads = fetch(queries.indexes(nnd), {"relids": relids})
    elements = index_elements(fetch, [h["oid"] for h in heads])
    out: dict[int, list[Index]] = defaultdict(list)
    for h in heads:
        rows = elements[h["oid"]]
        keys, included = rows[: h["nkeys"]], rows[h["nkeys"]:]
        out[h["relid"]].append(Index(
            name=h["name"], elements=tuple(_element(r) for r in keys), unique=h["is_unique"],
            method=h["method"], where=strip_outer_parens(h["predicate"]),
            include=tuple(r["column"] for r in included), params=_params(h["options"]),
            nulls_not_distinct=h["nulls_not_distinct"], comment=h["comment"]))
    return out


def _policy(r: dict) -> Policy:
    return Policy(name=r["name"], command=POLICY_CMD[r["cmd"]], roles=tuple(sorted(r["roles"])),
                  using=strip_outer_parens(r["using_expr"]), check=strip_outer_parens(r["check_expr"]),
                  permissive=r["permissive"])


def _trigger_args(r: dict) -> tuple[str, ...]:
    raw = bytes(r["args"] or b"")
    parts = raw.split(b"\x00")[: r["nargs"]]
    return tuple(p.decode("utf-8", errors="replace") for p in parts)


def trigger_of(r: dict) -> Trigger:
    t = r["type"]
    timing = "INSTEAD OF" if t & _INSTEAD else "BEFORE" if t & _BEFORE else "AFTER"
    events = tuple(e for bit, e in ((_INSERT, "INSERT"), (_UPDATE, "UPDATE"), (_DELETE, "DELETE"),
                                    (_TRUNCATE, "TRUNCATE")) if t & bit)
    when = _WHEN.search(r["definition"])
    return Trigger(name=r["name"], function=qualified(r["fn_schema"], r["fn_name"]), timing=timing,
                   events=events, level="ROW" if t & _ROW else "STATEMENT",
                   when=strip_outer_parens(when.group(1)) if when else None, columns=tuple(r["columns"] or ()),
                   args=_trigger_args(r), old_table=r["old_table"], new_table=r["new_table"],
                   constraint=r["is_constraint"], deferrable=r["deferrable"], initially_deferred=r["deferred"],
                   enabled=r["enabled"])


def grants_by_relid(fetch: Fetch, relids: list[int], columns: bool = False) -> dict[int, list[Grant]]:
    """Table (or view) privileges per role; with `columns`, column privileges too (one grant
    per role and privilege, its columns), in the model's canonical order."""
    out: dict[int, list[Grant]] = defaultdict(list)
    for r in fetch(queries.GRANTS, {"relids": relids}):
        out[r["relid"]].append(Grant(r["role"], tuple(sorted(p.upper() for p in r["privileges"]))))
    if columns:
        for r in fetch(queries.COLUMN_GRANTS, {"relids": relids}):
            out[r["relid"]].append(Grant(r["role"], (r["privilege"].upper(),), tuple(sorted(r["columns"]))))
    return {k: sorted(v, key=lambda g: (g.role, bool(g.columns), g.privileges, g.columns)) for k, v in out.items()}


def _grouped(rows: Rows, build: Callable[[dict], Any]) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for r in rows:
        out[r["relid"]].append(build(r))
    return out


def inspect_tables(fetch: Fetch, schemas: list[str], version: int) -> list[Table]:
    """Every ordinary or partitioned table (not partitions, not extension members) in `schemas`."""
    heads = fetch(queries.TABLES, {"schemas": schemas})
    relids = [h["oid"] for h in heads]
    args = {"relids": relids}
    columns = _grouped(fetch(queries.COLUMNS, args), _column)
    rows = fetch(queries.constraints(version >= 150000), args)
    parts = _constraint_parts(rows, index_elements(fetch, [r["index_oid"] for r in rows if r["kind"] == "x"]))
    indexes = indexes_of(fetch, relids, version >= 150000)
    policies = _grouped(fetch(queries.POLICIES, args), _policy)
    triggers = _grouped(fetch(queries.triggers(version), args), trigger_of)
    grants = grants_by_relid(fetch, relids, columns=True)
    tables = []
    for h in heads:
        oid, p = h["oid"], parts[h["oid"]]
        tables.append(Table(
            name=h["name"], schema=h["schema"], columns=tuple(columns[oid]),
            primary_key=p["pk"][0] if p["pk"] else None, foreign_keys=_by_name(p["fks"]),
            uniques=_by_name(p["uniques"]), checks=_by_name(p["checks"]), indexes=_by_name(indexes[oid]),
            comment=h["comment"], rls_enabled=h["rls_enabled"], rls_forced=h["rls_forced"],
            policies=_by_name(policies[oid]), triggers=_by_name(triggers[oid]),
            grants=tuple(grants.get(oid, ())), exclusions=_by_name(p["exclusions"]), unlogged=h["unlogged"],
            options=_params(h["options"]), partition_by=h["partition_by"],
            partition_of=h["parents"][0] if h["is_partition"] else None,
            partition_bound=h["bound"] if h["is_partition"] else None,
            inherits=() if h["is_partition"] else tuple(h["parents"]), cluster_on=h["cluster_on"],
            replica_identity=_replica(h), publications=tuple(h["publications"] or ())))
    return sorted(tables, key=lambda t: t.key)


def _by_name(items: list) -> tuple:
    return tuple(sorted(items, key=lambda x: x.name))


def _replica(h: dict) -> str | None:
    return {"f": "FULL", "n": "NOTHING", "i": h["replica_index"]}.get(h["replident"])
