"""Citus rules on references and policies: reference and local tables never point at a
distributed table (RS163); a key between distributed tables carries the distribution column at
the same place on both sides (RS164); no SET NULL / SET DEFAULT / ON UPDATE CASCADE on a key
carrying it (RS165); local tables keep to reference tables (RS166); no subquery in a policy
(RS167); colocated tables share the distribution column's type (RS170)."""
from __future__ import annotations

from generator.model import ForeignKey, Schema, Table
from generator.resolve.citus.placement import effective, layout_of
from generator.resolve.context import Ctx
from generator.resolve.expressions import has_subquery

RESTRICTIVE = ("NO ACTION", "RESTRICT")


def _target(schema: Schema, fk: ForeignKey) -> Table | None:
    return schema.table(fk.ref_table, fk.ref_schema)


def check_references(ctx: Ctx, schema: Schema) -> None:
    for t in schema.tables:
        mine = effective(schema, t)
        if mine is None:
            continue
        for fk in t.foreign_keys:
            parent = _target(schema, fk)
            theirs = effective(schema, parent) if parent is not None else None
            if parent is None:
                _external(ctx, t, fk)
            elif parent.key == t.key:
                if mine.kind == "distributed":
                    _colocated_key(ctx, t, fk, mine.column, t, mine.column)
            elif theirs is None:
                continue
            elif {mine.kind, theirs.kind} == {"distributed", "local"}:
                ctx.diags.add("RS166", f"{t.name} ({mine.kind}) and {parent.name} ({theirs.kind}) are joined by "
                              f"{fk.name}: Citus keeps no foreign key between a local and a distributed table",
                              fk.loc or t.loc, "citus.local_table_reference",
                              "make the local table a reference table, or drop the key")
            elif mine.kind == "reference" and theirs.kind == "distributed":
                ctx.diags.add("RS163", f"{t.name} is a reference table and references the distributed table "
                              f"{parent.name} ({fk.name}): Citus allows distributed -> reference, never the other way",
                              fk.loc or t.loc, "citus.reference_to_distributed",
                              f"distribute {t.name} too (by the tenant column), or make {parent.name} a reference "
                              "table (tenancy.citus.reference)")
            elif mine.kind == "distributed" and theirs.kind == "distributed":
                _colocated_key(ctx, t, fk, mine.column, parent, theirs.column)
            elif mine.kind == "reference" and theirs.kind == "local" and \
                    not (fk.on_delete in RESTRICTIVE and fk.on_update in RESTRICTIVE):
                ctx.diags.add("RS166", f"{t.name} (reference) -> {parent.name} (local): Citus allows only NO ACTION or "
                              f"RESTRICT on such a key, not ON DELETE {fk.on_delete} / ON UPDATE {fk.on_update}",
                              fk.loc or t.loc, "citus.local_table_reference",
                              "choose restrict, or make the local table a reference table")
            if mine.kind == "distributed" and mine.column in fk.columns:
                _actions(ctx, t, fk, mine.column)


def _external(ctx: Ctx, t: Table, fk: ForeignKey) -> None:
    reference = layout_of(ctx).reference
    if f"{fk.ref_schema}.{fk.ref_table}" in reference:
        return
    ctx.diags.add("RS163", f"{t.name} references {fk.ref_schema}.{fk.ref_table}, which this spec does not create: on "
                  "Citus it must be a reference table", fk.loc or t.loc, "citus.reference_to_distributed",
                  f"list it under tenancy.citus.reference as {fk.ref_schema}.{fk.ref_table} once it is one "
                  "(create_reference_table), or drop the key")


def _colocated_key(ctx: Ctx, t: Table, fk: ForeignKey, d: str, parent: Table, pd: str) -> None:
    """RS164: the child's distribution column and the parent's sit at the same place in the key."""
    if d in fk.columns and pd in fk.ref_columns and fk.columns.index(d) == fk.ref_columns.index(pd):
        return
    ctx.diags.add("RS164", f"{t.name} -> {parent.name} ({fk.name}: ({', '.join(fk.columns)}) -> "
                  f"({', '.join(fk.ref_columns)})) does not pair the distribution columns {d} -> {pd}: Citus checks a "
                  "key between distributed tables within one shard only", fk.loc or t.loc,
                  "citus.fk_without_distribution_column",
                  "let the key carry the tenant column (the default between tenant entities; drop `same_tenant: "
                  f"false`), or make {parent.name} a reference table")


def _actions(ctx: Ctx, t: Table, fk: ForeignKey, d: str) -> None:
    """RS165: Citus never lets a key action write the distribution column."""
    bad = []
    if fk.on_delete in ("SET NULL", "SET DEFAULT"):
        bad.append(f"ON DELETE {fk.on_delete}")
    if fk.on_update in ("CASCADE", "SET NULL", "SET DEFAULT"):
        bad.append(f"ON UPDATE {fk.on_update}")
    if not bad:
        return
    own = ", ".join(fk.own_columns) or ", ".join(fk.columns)
    ctx.diags.add("RS165", f"{t.name} ({fk.name}): {' and '.join(bad)} on a key that carries the distribution column "
                  f"{d}: Citus refuses it (even with PostgreSQL 15's column list)", fk.loc or t.loc,
                  "citus.fk_action_on_distribution_column",
                  f"choose another action for Citus: `tenancy: {{citus: {{on_delete: {{{t.meta.entity}.{own}: restrict}}}}}}` "
                  f"(or cascade), or make {fk.ref_table} a reference table (then gen keeps SET NULL on the plain key)")


def check_policies(ctx: Ctx, schema: Schema) -> None:
    """RS167: Citus refuses a policy with a subquery on any of its tables."""
    for t in schema.tables:
        if effective(schema, t) is None:
            continue
        for p in t.policies:
            for what, text in (("USING", p.using), ("WITH CHECK", p.check)):
                if text and has_subquery(text):
                    ctx.diags.add("RS167", f"{t.name}: policy {p.name} has a subquery in {what}: Citus refuses "
                                  "subqueries in policies", p.loc or t.loc, "citus.policy_subquery",
                                  "move the lookup into a STABLE SECURITY DEFINER function and call it (gen's own "
                                  "predicates do so), or make the column it needs part of the row")
                    break


def check_colocation(ctx: Ctx, schema: Schema) -> None:
    """RS170: tables colocate only when their distribution columns share a type."""
    kinds = {}
    for t in schema.tables:
        p = effective(schema, t)
        if p is None or p.kind != "distributed" or t.partition_of:
            continue
        col = t.column(p.column)
        if col is not None:
            kinds.setdefault(col.type.sql, []).append(t)
    if len(kinds) > 1:
        (first, a), *rest = kinds.items()
        for typ, tables in rest:
            for t in tables:
                ctx.diags.add("RS170", f"{t.name} is distributed by a {typ} column but {a[0].name} by a {first} "
                              "column: Citus colocates tables only by one type", t.loc, "citus.colocation",
                              "give the tenant column one type everywhere")
