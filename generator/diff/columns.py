"""Column changes of a table that exists on both sides: renames, additions, drops and
in-place alterations (with the set of aspects that changed)."""
from __future__ import annotations

from generator.diff.alter import AddColumn, AlterColumn, DropColumn, RenameColumn
from generator.diff.changes import Change
from generator.model import Column, Table


def aspects(old: Column, new: Column) -> frozenset[str]:
    """What differs between two versions of one column (names aside)."""
    what = set()
    if old.type != new.type:
        what.add("type")
    for aspect in ("nullable", "default", "generated", "identity", "comment", "collation"):
        if getattr(old, aspect) != getattr(new, aspect):
            what.add(aspect)
    if old.identity_options != new.identity_options:
        what.add("identity")
    return frozenset(what)


def column_changes(o: Table, o2: Table, t: Table, renamed: dict[str, str]) -> list[Change]:
    """`o` is the old table, `o2` the same translated into new names (see renames.translate_table),
    `t` the new table. Drops name the old table; everything else the new one."""
    out: list[Change] = [RenameColumn(t, old, new, o) for old, new in renamed.items()]
    for c in o.columns:
        if t.column(renamed.get(c.name, c.name)) is None:
            out.append(DropColumn(o, c))
    for c in t.columns:
        before = o2.column(c.name)
        if before is None:
            out.append(AddColumn(t, c))
            continue
        what = aspects(before, c)
        if not what:
            continue
        if "generated" in what and c.generated is not None:
            # No ALTER turns a column into (another) generated one: rebuild it; its data is derived.
            out += [DropColumn(o, o.column(_old_name(c.name, renamed))), AddColumn(t, c)]
        else:
            out.append(AlterColumn(t, o.column(_old_name(c.name, renamed)), c, what, o))
    return out


def _old_name(name: str, renamed: dict[str, str]) -> str:
    for old, new in renamed.items():
        if new == name:
            return old
    return name
