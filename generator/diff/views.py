"""View changes: dropped, new and changed views, plus those that must be created again because
a view or table they read goes away or changes shape; drops run dependants first, creates
dependencies first."""
from __future__ import annotations

from dataclasses import replace

from generator.diff.alter import AlterColumn, DropColumn, RebuildEnum
from generator.diff.changes import AddGrant, AddView, Change, DropTable, DropView, RevokeGrant, SetComment
from generator.diff.tables import atoms_to_grants, exact_grants, grant_atoms
from generator.model import Schema, View


def view_changes(old: Schema, new: Schema, table_changes: list[Change]) -> list[Change]:
    return _views(old, new, _reshaped_tables(table_changes))


def _reshaped_tables(changes: list[Change]) -> set[tuple[str, str]]:
    """Tables (old and new keys) that change in ways a view on them would block: dropped,
    or with columns dropped or retyped."""
    keys: set[tuple[str, str]] = set()
    for c in changes:
        if isinstance(c, DropTable) or isinstance(c, DropColumn) or \
                (isinstance(c, AlterColumn) and c.what & {"type", "collation"}):
            keys.add(c.table.key)
            if isinstance(c, AlterColumn) and c.other is not None:
                keys.add(c.other.key)
        elif isinstance(c, RebuildEnum):
            keys.update(t.key for t, _ in c.uses)
    return keys


def _view_tables(v: View) -> set[tuple[str, str]]:
    """Tables and views a view's query reads (unqualified names taken in the view's schema)."""
    import sqlglot                      # imported here: ~90 ms, and only specs with views need it
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(v.query, read="postgres")
    except sqlglot.errors.SqlglotError:
        return set()
    return {(t.db or v.schema, t.name) for t in tree.find_all(exp.Table)}


def _in_order(views: list[View], reads: dict) -> list[View]:
    """Views after the views they read (stable: declaration order otherwise)."""
    by_key, done, out = {v.key: v for v in views}, set(), []

    def visit(v: View, stack: tuple = ()) -> None:
        if v.key in done or v.key in stack:
            return
        for k in sorted(reads[v.key] & set(by_key)):
            visit(by_key[k], stack + (v.key,))
        done.add(v.key)
        out.append(v)

    for v in views:
        visit(v)
    return out


def _views(old: Schema, new: Schema, reshaped: set[tuple[str, str]]) -> list[Change]:
    """Dropped, new and changed views; a view reading a reshaped table or a view that goes is
    dropped and created again too. Drops run dependants first, creates dependencies first."""
    before, after = {v.key: v for v in old.views}, {v.key: v for v in new.views}
    old_reads = {k: _view_tables(v) for k, v in before.items()}
    gone = {k for k in before if k not in after}
    remade = {k for k in before.keys() & after.keys()
              if replace(before[k], comment=None, grants=()) != replace(after[k], comment=None, grants=())
              or old_reads[k] & reshaped}
    grew = True
    while grew:
        hit = {k for k in before if k not in gone | remade and old_reads[k] & (gone | remade)}
        remade |= hit
        grew = bool(hit)
    out: list[Change] = [DropView(v) for v in reversed(_in_order(list(before.values()), old_reads))
                         if v.key in gone | remade]
    new_reads = {k: _view_tables(v) for k, v in after.items()}
    for v in _in_order(new.views, new_reads):
        if v.key not in before or v.key in remade:
            out += [AddView(v)] + exact_grants(v, v.grants)
            continue
        o = before[v.key]
        out += [SetComment("VIEW", v.qname, v.comment, o.comment)] if o.comment != v.comment else []
        out += _view_grants(o, v)
    return out


def _view_grants(o: View, v: View) -> list[Change]:
    before, after = grant_atoms(o.grants), grant_atoms(v.grants)
    return [RevokeGrant(o, g) for g in atoms_to_grants(before - after)] + \
        [AddGrant(v, g) for g in atoms_to_grants(after - before)]
