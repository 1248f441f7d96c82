"""Enum changes: create, drop, rename (type and values), add values in place (ADD VALUE,
positioned BEFORE/AFTER), and rebuild the type when values are removed or reordered."""
from __future__ import annotations

from dataclasses import replace

from generator.diff.alter import AddEnumValues, RebuildEnum, RenameEnum, RenameEnumValue
from generator.diff.changes import AddEnum, Change, DropEnum, SetComment
from generator.diff.renames import Renames, column_uses, translate_enum, uses_columns
from generator.model import Column, Enum, Schema, Table


def enum_changes(old: Schema, new: Schema, r: Renames) -> list[Change]:
    renamed_old = set(r.enums.values())
    out: list[Change] = [DropEnum(e) for e in old.enums
                         if e.key not in renamed_old and new.enum(e.name, e.schema) is None]
    for e in new.enums:
        ok = r.enums.get(e.key, e.key)
        o = old.enum(ok[1], ok[0])
        out += [AddEnum(e)] if o is None else _evolve(old, new, o, e, r)
    return out


def _evolve(old: Schema, new: Schema, o: Enum, e: Enum, r: Renames) -> list[Change]:
    out: list[Change] = []
    if o.key != e.key:
        out.append(RenameEnum(o, replace(o, schema=e.schema, name=e.name)))
    renamed_o = replace(o, schema=e.schema, name=e.name)
    value_renames = r.values.get(e.key, {})
    for before, after in value_renames.items():
        out.append(RenameEnumValue(renamed_o, before, after, o))
    if e.comment != o.comment:
        out.append(SetComment("TYPE", e.qname, e.comment, o.comment, o.qname))
    current = translate_enum(o, r)
    if current.values == e.values:
        return out
    removed = [v for v in current.values if v not in e.values]
    kept = [v for v in e.values if v in current.values]
    if not removed and kept == list(current.values):
        return out + [_additions(o, current.values, e, value_renames, old)]
    return out + [RebuildEnum(current, e, _uses_up(old, new, o, e, r), _uses_down(old, new, o, e, r))]


def _additions(o: Enum, present: tuple[str, ...], e: Enum, value_renames: dict[str, str],
               old: Schema) -> AddEnumValues:
    """ADD VALUE steps run before the migration's transaction, so before any rename: the
    type and its anchors are named as they are in `old`."""
    back = {new: prev for prev, new in value_renames.items()}
    adds, values = [], list(o.values)
    for i, v in enumerate(e.values):
        if v in present:
            continue
        if i > 0:
            anchor = back.get(e.values[i - 1], e.values[i - 1])
            adds.append((v, None, anchor))
            values.insert(values.index(anchor) + 1, v)
        else:
            first = next(x for x in e.values if x in present)
            anchor = back.get(first, first)
            adds.append((v, anchor, None))
            values.insert(values.index(anchor), v)
    uses = tuple(column_uses(old, o))
    return AddEnumValues(o, replace(o, values=tuple(values)), tuple(adds), uses, _dependents(uses))


def _dependents(uses) -> tuple:
    """Checks, indexes and policies on the enum's columns: undoing the added values rebuilds
    the type, which PostgreSQL only allows with these out of the way."""
    out = []
    for t in {t.key: t for t, _ in uses}.values():
        cols = {c.name for tt, c in uses if tt.key == t.key}
        out += [(t, x) for x in (*t.checks, *t.indexes, *t.policies) if uses_columns(x, cols)]
    return tuple(out)


def _uses_up(old: Schema, new: Schema, o: Enum, e: Enum, r: Renames) -> tuple[tuple[Table, Column], ...]:
    """Columns of the type when the rebuild runs: the old ones not dropped, under new names,
    with the default to put back (the new one, where the column keeps this type)."""
    out = []
    for ot, oc in column_uses(old, o):
        nk = r.new_table_key(ot.key)
        t = new.table(nk[1], nk[0])
        name = r.columns.get(nk, {}).get(oc.name, oc.name)
        nc = t.column(name) if t else None
        if nc is None:
            continue
        keeps = nc.type.enum and nc.type.base == e.name
        out.append((t, replace(oc, name=name, type=replace(oc.type, base=e.name, schema=e.schema),
                               default=nc.default if keeps else None)))
    return tuple(out)


def _uses_down(old: Schema, new: Schema, o: Enum, e: Enum, r: Renames) -> tuple[tuple[Table, Column], ...]:
    """Columns of the type when the reverse rebuild runs (a down migration): the new ones
    that existed before, under old names, with the old default where the type is kept."""
    out = []
    for nt, nc in column_uses(new, e):
        ok = r.old_table_key(nt.key)
        t = old.table(ok[1], ok[0])
        inverse_cols = {v: k for k, v in r.columns.get(nt.key, {}).items()}
        name = inverse_cols.get(nc.name, nc.name)
        oc = t.column(name) if t else None
        if oc is None:
            continue
        keeps = oc.type.enum and oc.type.base == o.name
        out.append((t, replace(nc, name=name, type=replace(nc.type, base=o.name, schema=o.schema),
                               default=oc.default if keeps else None)))
    return tuple(out)
