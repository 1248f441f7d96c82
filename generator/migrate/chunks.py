"""Large additive migrations (the first migration of a schema with thousands of tables) split
into several transactional parts, each within the lock budget of one transaction: first the
types, extensions and functions, then the tables in dependency order (each with its keys,
indexes, comments, triggers, RLS and grants), then views. Each part is a migration file of its
own with its own down script, so an interrupted run resumes at the next part."""
from __future__ import annotations

from generator.db import apply
from generator.db.apply import lock_weight
from generator.diff import changes as ch
from generator.diff import objects as ob
from generator.diff.publish import AddToPublication
from generator.model import View
from generator.postgres.plan import plan
from generator.postgres.render import Statement

# What a first migration (or a batch of new tables) is made of; anything else keeps one transaction.
ADDITIVE = (ch.AddExtension, ch.AddSchema, ch.AddRole, ch.AddEnum, ch.AddTable, ch.AddForeignKey, ch.AddIndex,
            ch.SetComment, ch.AddFunction, ch.AddTrigger, ch.AddView, ch.SetRls, ch.AddPolicy, ch.AddGrant,
            ch.SetTempTables, ob.AddSequence, ob.AddCollation, ob.AddType, ob.AddAggregate, ob.AddRaw,
            ob.AlterTable, AddToPublication)
# Before any table: what columns, defaults and checks may name. (Aggregates, raw SQL, views and
# the rest without a table of their own come after the tables.)
HEAD = (ch.AddExtension, ch.AddSchema, ch.AddRole, ch.AddEnum, ch.AddFunction, ch.SetTempTables, ob.AddSequence,
        ob.AddCollation, ob.AddType)
# pg_dump does the same: function bodies are checked when called, not when created before their tables
NO_BODY_CHECK = Statement("SET LOCAL check_function_bodies = false;",
                          "functions are created before the tables their bodies read", "functions")


def weight(statements: list[Statement]) -> int:
    return sum(lock_weight(s.sql) for s in statements)


def _table_key(c: ch.Change, created: set) -> tuple | None:
    if isinstance(c, ch.SetComment):
        return c.owner if c.owner in created else None
    target = getattr(c, "table", None)
    if target is None or isinstance(target, View):
        return None
    return target.key if target.key in created else None


def _is_view_change(c: ch.Change) -> bool:
    return isinstance(c, ch.AddView) or (isinstance(c, ch.SetComment) and c.kind == "VIEW") or \
        isinstance(getattr(c, "table", None), View)


def split(changes: list[ch.Change], statements: list[Statement], budget: int | None = None) -> list[tuple]:
    """[(changes, statements)] of the parts; one part (as given) when it fits the budget
    (default: the lock budget of db.apply) or is not purely additive (drops and alterations
    keep their one transaction)."""
    budget = budget or apply.LOCK_BUDGET
    if weight(statements) <= budget or not all(isinstance(c, ADDITIVE) for c in changes):
        return [(changes, statements)]
    created = {c.table.key for c in changes if isinstance(c, ch.AddTable)}
    order = list(dict.fromkeys(s.change.table.key for s in statements if isinstance(s.change, ch.AddTable)))
    by_table: dict[tuple, list[ch.Change]] = {k: [] for k in order}
    head, tail = [], []
    for c in changes:
        key = _table_key(c, created)
        if key is not None:
            by_table[key].append(c)
        elif isinstance(c, HEAD) or (isinstance(c, ch.SetComment) and c.kind in ("TYPE", "FUNCTION")):
            head.append(c)
        else:
            tail.append(c)
    groups = _pack([by_table[k] for k in order], statements, budget)
    groups = _move_forward_keys(groups)
    parts = [(head, [NO_BODY_CHECK] + plan(head).statements)] if head else []
    parts += [(g, plan(g).statements) for g in groups]
    if tail:
        parts.append((tail, plan(tail).statements))
    return parts


def _pack(tables: list[list[ch.Change]], statements: list[Statement], budget: int) -> list[list[ch.Change]]:
    """Consecutive tables (dependency order) packed into groups within the budget."""
    cost: dict[int, int] = {}
    for s in statements:
        cost[id(s.change)] = cost.get(id(s.change), 0) + lock_weight(s.sql)
    groups: list[list[ch.Change]] = [[]]
    used = 0
    for table in tables:
        w = sum(cost.get(id(c), 1) for c in table)
        if groups[-1] and used + w > budget:
            groups.append([])
            used = 0
        groups[-1] += table
        used += w
    return [g for g in groups if g]


def _move_forward_keys(groups: list[list[ch.Change]]) -> list[list[ch.Change]]:
    """A foreign key to a table created in a later group (a cycle) is added in that group."""
    home = {c.table.key: i for i, g in enumerate(groups) for c in g if isinstance(c, ch.AddTable)}
    out = [[] for _ in groups]
    for i, g in enumerate(groups):
        for c in g:
            target = (c.fk.ref_schema, c.fk.ref_table) if isinstance(c, ch.AddForeignKey) else None
            out[max(i, home.get(target, i))].append(c)
    return out
