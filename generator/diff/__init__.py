"""The differ: compares two models and lists the changes that turn `old` into `new`.
Objects are matched by identity (schema, name) or a declared rename; equal objects produce
nothing. `reverse_changes` turns a change list into the one that undoes it."""
from __future__ import annotations

from dataclasses import replace

from generator.diff.alter import AddConstraint, RebuildEnum, ReplaceFunction, SetExtensionSchema
from generator.diff.changes import (AddExtension, AddForeignKey, AddFunction, AddRole, AddSchema, AddTrigger, Change,
                                    DropExtension, DropFunction, DropSchema, DropTrigger, SetTempTables)
from generator.diff.citus import citus_changes
from generator.diff.enums import enum_changes
from generator.diff.objects import object_changes
from generator.diff.renames import Renames, from_hints
from generator.diff.reverse import reverse_changes
from generator.diff.tables import created_table, table_changes
from generator.diff.views import view_changes
from generator.model import PrimaryKey, Schema, Table, Unique

__all__ = ["diff", "created_table", "reverse_changes", "external_trigger_changes", "database_changes", "Renames",
           "from_hints"]


def diff(old: Schema, new: Schema, renames: Renames | None = None) -> list[Change]:
    """Changes from `old` to `new`; renames come from `new`'s `renamed_from` hints unless given."""
    r = renames if renames is not None else from_hints(old, new)
    changes: list[Change] = []
    changes += _extensions(old, new)
    changes += _keyed(old.schemas, new.schemas, lambda s: s, AddSchema, DropSchema)
    changes += [AddRole(role) for role in new.roles if role.name not in {o.name for o in old.roles}]
    enums = enum_changes(old, new, r)
    changes += enums
    early, late = object_changes(old, new)
    changes += early
    rebuilt: dict[tuple[str, str], set[str]] = {}
    for c in enums:
        for t, col in c.uses if isinstance(c, RebuildEnum) else ():
            rebuilt.setdefault(t.key, set()).add(col.name)
    tables = _after_new_keys(table_changes(old, new, r, rebuilt))
    changes += tables
    changes += _functions(old, new)
    changes += view_changes(old, new, tables + enums)   # a rebuilt enum reshapes its columns too
    changes += late
    return changes + citus_changes(old, new, changes)


def _after_new_keys(changes: list[Change]) -> list[Change]:
    """A foreign key referencing a unique key that this diff adds to a populated table (built
    concurrently, after the transaction) must wait for it: mark it late."""
    built = {(c.table.key, frozenset(c.constraint.columns)) for c in changes
             if isinstance(c, AddConstraint) and c.existing and isinstance(c.constraint, (Unique, PrimaryKey))}
    if not built:
        return changes
    return [replace(c, late=True) if isinstance(c, AddForeignKey) and
            ((c.fk.ref_schema, c.fk.ref_table), frozenset(c.fk.ref_columns)) in built else c for c in changes]


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


def _extensions(old: Schema, new: Schema) -> list[Change]:
    before = {e.name: e for e in old.extensions}
    out: list[Change] = [DropExtension(e) for e in old.extensions if e.name not in {n.name for n in new.extensions}]
    for e in new.extensions:
        o = before.get(e.name)
        out += [AddExtension(e)] if o is None else [SetExtensionSchema(o, e)] if o != e else []
    return out


def _functions(old: Schema, new: Schema) -> list[Change]:
    before = {f.key: f for f in old.functions}
    out: list[Change] = [DropFunction(f) for f in old.functions if f.key not in {n.key for n in new.functions}]
    for f in new.functions:
        o = before.get(f.key)
        if o is None:
            out.append(AddFunction(f))
        elif o != f:
            same = (o.returns, o.kind) == (f.returns, f.kind)
            out += [ReplaceFunction(o, f)] if same else [DropFunction(o), AddFunction(f)]
    return out


def database_changes(old: Schema, new: Schema) -> list[Change]:
    """Settings of the database itself the spec manages (TEMPORARY for PUBLIC)."""
    a, b = old.settings.temp_tables, new.settings.temp_tables
    return [SetTempTables(b, a)] if a != b else []


def external_trigger_changes(old: Schema, new: Schema) -> list[Change]:
    """Triggers the schema puts on tables it does not own (Schema.external_triggers)."""
    def key(x):
        return (x.schema, x.table, x.trigger.name)

    def table(x):
        return Table(name=x.table, columns=(), schema=x.schema)

    return _keyed(old.external_triggers, new.external_triggers, key,
                  lambda x: AddTrigger(table(x), x.trigger), lambda x: DropTrigger(table(x), x.trigger))
