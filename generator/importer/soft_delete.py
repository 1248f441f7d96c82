"""gen's soft delete in an imported database: a table whose `deleted_at` is guarded by gen's
`<table>_soft_delete` trigger, with the hide/mark policies and the live-row unique indexes gen
makes, is written back as the `soft_delete` trait; the parts are then the resolver's to make.
A table with anything else is imported as its parts (and gen lint tells what it lacks)."""
from __future__ import annotations

from dataclasses import dataclass, field

from generator.importer.context import ImportCtx
from generator.model import Table, Unique
from generator.model.naming import constraint_name, shorten

COLUMN = "deleted_at"
WHERE = "deleted_at IS NULL"


@dataclass
class SoftDeleted:
    trigger: str
    function: tuple[str, str]
    policies: set[str] = field(default_factory=set)
    rls_off: bool = False                      # RLS was on only to hide deleted rows
    uniques: list[Unique] = field(default_factory=list)   # live-row unique indexes, as constraints


def recognize(ctx: ImportCtx, t: Table) -> SoftDeleted | None:
    """gen's built-in soft delete (deleted_at, no flag or `by`) on `t`, or None."""
    name = shorten(f"{t.name}_soft_delete")
    tr = next((x for x in t.triggers if x.name == name), None)
    fn = next((f for f in ctx.model.functions if (f.schema, f.name) == (t.schema, name)), None)
    if (tr is None or fn is None or tr.columns or set(tr.events) != {"INSERT", "UPDATE", "DELETE"}
            or tr.timing != "BEFORE" or "transaction_timestamp()" not in fn.body):
        return None
    found = SoftDeleted(name, (fn.schema, fn.name))
    names = {shorten(f"{t.name}_{s}"): s for s in ("hide_deleted", "mark_deleted", "all_rows")}
    found.policies = {p.name for p in t.policies if p.name in names}
    if shorten(f"{t.name}_hide_deleted") not in found.policies:
        return None
    found.rls_off = shorten(f"{t.name}_all_rows") in found.policies
    for i in t.indexes:
        if (i.unique and i.where and i.where.strip("()") == WHERE and all(e.column for e in i.elements)
                and i.name == constraint_name(t.name, list(i.columns), "key")):
            found.uniques.append(Unique(i.name, i.columns, i.nulls_not_distinct))
    return found


def remember(ctx: ImportCtx, t: Table, found: SoftDeleted) -> None:
    ctx.soft_deleted[t.key] = found
    ctx.generated_functions.add(found.function)
    ctx.absorbed_triggers.add((t.schema, t.name, found.trigger))
