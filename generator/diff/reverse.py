"""Undoing a change list: each change's reverse, with a dropped table or view recreated whole
and the parts of a created one (indexes, comments, policies …) left to its drop."""
from __future__ import annotations

from generator.diff.alter import AddColumn, AlterColumn, DropColumn
from generator.diff.changes import AddGrant, AddTable, AddView, Change, DropTable, DropView, SetComment
from generator.diff.tables import created_table, exact_grants
from generator.model import Table, View


def reverse_changes(changes: list[Change]) -> list[Change]:
    """The changes that undo `changes`: each one's reverse, with a dropped table or view
    recreated whole and the parts of a created one left to its drop."""
    created_tables = {c.table.key for c in changes if isinstance(c, AddTable)}
    created_views = {c.view.key for c in changes if isinstance(c, AddView)}
    out: list[Change] = []
    for c in reversed(changes):
        if isinstance(c, DropTable):
            out += created_table(c.table)
        elif isinstance(c, DropView):
            out += [AddView(c.view)] + exact_grants(c.view, c.view.grants)
        elif not isinstance(c, (AddTable, AddView)) and _part_of(c, created_tables, created_views):
            continue
        elif isinstance(c, AlterColumn) and "generated" in c.what and c.old.generated is not None:
            # the up stopped generating it (DROP EXPRESSION); no ALTER makes it generated again
            out += [DropColumn(c.table, c.new), AddColumn(c.other or c.table, c.old)]
        else:
            out.append(c.reverse())
    return out


def _part_of(c: Change, tables: set, views: set) -> bool:
    if isinstance(c, SetComment):
        return c.owner in tables
    target = getattr(c, "table", None)
    if isinstance(target, View):
        return target.key in views
    return isinstance(target, Table) and target.key in tables and not isinstance(c, (AddColumn, DropColumn))
