"""The differ: compares two models and lists the changes that turn `old` into `new`.
Objects are matched by identity (schema, name); equal objects produce nothing."""
from __future__ import annotations

from generator.diff.changes import (AddEnum, AddExtension, AddForeignKey, AddFunction, AddGrant, AddIndex,
                                    AddPolicy, AddRole, AddSchema, AddTable, AddTrigger, AddView, Change,
                                    DropEnum, DropExtension, DropForeignKey, DropFunction, DropIndex, DropPolicy,
                                    DropSchema, DropTable, DropTrigger, DropView, RevokeGrant, SetComment, SetRls)
from generator.model import Schema, Table
from generator.model.naming import qualified, quote_ident


def diff(old: Schema, new: Schema) -> list[Change]:
    changes: list[Change] = []
    changes += _keyed(old.extensions, new.extensions, lambda e: e.name, AddExtension, DropExtension)
    changes += _keyed(old.schemas, new.schemas, lambda s: s, AddSchema, DropSchema)
    changes += [AddRole(r) for r in new.roles if r.name not in {o.name for o in old.roles}]
    changes += _keyed(old.enums, new.enums, lambda e: e.key, AddEnum, DropEnum)
    changes += _tables(old, new)
    changes += _keyed(old.functions, new.functions, lambda f: f.key, AddFunction, DropFunction)
    changes += _keyed(old.views, new.views, lambda v: v.key, AddView, DropView)
    for v in new.views:
        if v.key not in {o.key for o in old.views}:
            changes += [SetComment("VIEW", v.qname, v.comment)] if v.comment else []
            changes += [AddGrant(v, g) for g in v.grants]
    return changes


def _keyed(old, new, key, add, drop) -> list[Change]:
    """Whole-object changes: added, dropped, or changed (drop + add)."""
    old_map = {key(o): o for o in old}
    new_map = {key(n): n for n in new}
    out: list[Change] = [drop(o) for k, o in old_map.items() if k not in new_map]
    for k, n in new_map.items():
        o = old_map.get(k)
        if o is None:
            out.append(add(n))
        elif o != n:
            out += [drop(o), add(n)]
    return out


def _tables(old: Schema, new: Schema) -> list[Change]:
    out: list[Change] = []
    for t in old.tables:
        if new.table(t.name, t.schema) is None:
            out.append(DropTable(t))
    for t in new.tables:
        o = old.table(t.name, t.schema)
        if o is None:
            out += created_table(t)
        elif o != t:
            out += _changed_table(o, t)
    return out


def created_table(t: Table) -> list[Change]:
    """Everything that makes a new table, in the order the planner will sort by phase."""
    out: list[Change] = [AddTable(t)]
    out += [AddForeignKey(t, fk) for fk in t.foreign_keys]
    out += [AddIndex(t, i) for i in t.indexes]
    out += _comments(None, t)
    out += [AddTrigger(t, tr) for tr in t.triggers]
    if t.rls_enabled or t.rls_forced:
        out.append(SetRls(t, t.rls_enabled, t.rls_forced))
    out += [AddPolicy(t, p) for p in t.policies]
    out += [AddGrant(t, g) for g in t.grants]
    return out


def _comments(old: Table | None, t: Table) -> list[Change]:
    out: list[Change] = []
    if t.comment != (old.comment if old else None):
        out.append(SetComment("TABLE", t.qname, t.comment, old.comment if old else None))
    for c in t.columns:
        before = old.column(c.name) if old else None
        prev = before.comment if before else None
        if c.comment != prev:
            out.append(SetComment("COLUMN", f"{t.qname}.{quote_ident(c.name)}", c.comment, prev))
    old_idx = {i.name: i for i in old.indexes} if old else {}
    for i in t.indexes:
        prev = old_idx[i.name].comment if i.name in old_idx else None
        if i.comment != prev:
            out.append(SetComment("INDEX", qualified(t.schema, i.name), i.comment, prev))
    return out


def _changed_table(o: Table, t: Table) -> list[Change]:
    """Sub-object changes of a table that exists on both sides. Column changes are the
    migration engine's; here a column difference is rebuilt as drop + add of the table."""
    if o.columns != t.columns or o.primary_key != t.primary_key or o.uniques != t.uniques or o.checks != t.checks:
        return [DropTable(o)] + created_table(t)
    out: list[Change] = []
    out += _keyed(o.foreign_keys, t.foreign_keys, lambda f: f.name,
                  lambda f: AddForeignKey(t, f), lambda f: DropForeignKey(o, f))
    out += _keyed(o.indexes, t.indexes, lambda i: i.name, lambda i: AddIndex(t, i), lambda i: DropIndex(o, i))
    out += _comments(o, t)
    out += _keyed(o.triggers, t.triggers, lambda x: x.name, lambda x: AddTrigger(t, x), lambda x: DropTrigger(o, x))
    if (o.rls_enabled, o.rls_forced) != (t.rls_enabled, t.rls_forced):
        out.append(SetRls(t, t.rls_enabled, t.rls_forced, o.rls_enabled, o.rls_forced))
    out += _keyed(o.policies, t.policies, lambda p: p.name, lambda p: AddPolicy(t, p), lambda p: DropPolicy(o, p))
    out += _keyed(o.grants, t.grants, lambda g: g.role, lambda g: AddGrant(t, g), lambda g: RevokeGrant(o, g))
    return out
