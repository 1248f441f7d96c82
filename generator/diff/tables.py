"""Table changes: create, drop, rename, and the sub-objects of a table on both sides (columns,
keys, constraints, indexes, comments, triggers, RLS, policies, grants). Drops name the table
as it was (they run before renames), everything else as it becomes."""
from __future__ import annotations

from dataclasses import replace

from generator.diff.alter import AddConstraint, AlterColumn, AlterPolicy, DropConstraint, RenameObject, RenameTable
from generator.diff.changes import (AddForeignKey, AddGrant, AddIndex, AddPolicy, AddTable, AddTrigger, Change,
                                    DropForeignKey, DropIndex, DropPolicy, DropTable, DropTrigger, RevokeGrant,
                                    SetComment, SetRls)
from generator.diff.columns import column_changes
from generator.diff.objects import table_property_changes
from generator.diff.publish import publication_changes
from generator.diff.renames import Renames, translate_table, uses_columns
from generator.model import Check, Grant, Policy, Schema, Table
from generator.model.naming import qualified, quote_ident


def table_changes(old: Schema, new: Schema, r: Renames, rebuilt: dict | None = None) -> list[Change]:
    """`rebuilt` maps new table keys to the columns whose enum type this diff rebuilds."""
    rebuilt = rebuilt or {}
    kept = {r.old_table_key(t.key) for t in new.tables}
    out: list[Change] = [DropTable(o) for o in old.tables if o.key not in kept]
    for t in new.tables:
        ok = r.old_table_key(t.key)
        o = old.table(ok[1], ok[0])
        if o is None:
            out += created_table(t)
            continue
        if _shape(o) != _shape(t):          # partitioning or inheritance changed: made again
            out += [DropTable(o)] + created_table(t)
            continue
        o2 = translate_table(o, t.key, r)
        if ok != t.key:
            out.append(RenameTable(o, replace(o, schema=t.schema, name=t.name)))
        if o2 != t or t.key in r.columns or t.key in rebuilt:
            out += changed_table(o, o2, t, r.columns.get(t.key, {}), frozenset(rebuilt.get(t.key, ())))
    return out


def _shape(t: Table) -> tuple:
    return (t.partition_by, t.partition_of, t.partition_bound, t.inherits)


def created_table(t: Table) -> list[Change]:
    """Everything that makes a new table, in the order the planner will sort by phase."""
    out: list[Change] = [AddTable(t)]
    out += [AddForeignKey(t, fk) for fk in t.foreign_keys]
    out += [AddIndex(t, i) for i in t.indexes]
    out += _comments(None, t)
    out += [AddTrigger(t, tr) for tr in t.triggers]
    if t.cluster_on or t.replica_identity:
        out += table_property_changes(replace(t, cluster_on=None, replica_identity=None), t)
    if t.rls_enabled or t.rls_forced:
        out.append(SetRls(t, t.rls_enabled, t.rls_forced))
    out += [AddPolicy(t, p) for p in t.policies]
    out += exact_grants(t, t.grants)
    return out + publication_changes(None, t)


def exact_grants(obj, grants) -> list[Change]:
    """Grants of a new table or view; the first also revokes what default privileges gave."""
    return [AddGrant(obj, g, exact=i == 0) for i, g in enumerate(grants)]


def _comments(old: Table | None, t: Table, before: Table | None = None) -> list[Change]:
    """Comments of a new table (table, columns, indexes); of an existing one only the table's
    and those of indexes kept as they are (columns and new indexes carry their own).
    `before` is the old table under its old name."""
    out: list[Change] = []
    prev = old.comment if old else None
    if t.comment != prev:
        out.append(SetComment("TABLE", t.qname, t.comment, prev, before.qname if before else None, t.key))
    if old is None:
        for c in t.columns:
            if c.comment is not None:
                out.append(SetComment("COLUMN", f"{t.qname}.{quote_ident(c.name)}", c.comment,
                                          owner=t.key))
    old_idx = {i.name: i for i in old.indexes} if old else {}
    for i in t.indexes:
        before = old_idx.get(i.name)
        if old is None and i.comment is not None:
            out.append(SetComment("INDEX", qualified(t.schema, i.name), i.comment, owner=t.key))
        elif before is not None and replace(before, comment=i.comment) == i and before.comment != i.comment:
            out.append(SetComment("INDEX", qualified(t.schema, i.name), i.comment, before.comment, owner=t.key))
    return out


def _pairs(o_items, o2_items, t_items):
    """Match old items (original, translated) with new ones by name, or as a rename when equal
    but for the name. Returns (gone, fresh, matched) with matched = (old, translated, new)."""
    o_by = {x2.name: (x, x2) for x, x2 in zip(o_items, o2_items)}
    t_by = {x.name: x for x in t_items}
    gone = [p for k, p in o_by.items() if k not in t_by]
    fresh = [x for k, x in t_by.items() if k not in o_by]
    matched = [(o_by[k][0], o_by[k][1], x) for k, x in t_by.items() if k in o_by]
    for n in list(fresh):
        match = next((p for p in gone if replace(p[1], name=n.name) == n), None)
        if match is not None:
            matched.append((match[0], match[1], n))
            gone.remove(match)
            fresh.remove(n)
    return gone, fresh, matched


def _keyed(o: Table, t: Table, items, kind: str, add, drop, rebuild=lambda x: False, rebuild_drop=None
           ) -> list[Change]:
    """`items` holds the old, translated-old and new lists of one kind of sub-object. Those
    `rebuild` picks (they use a column whose type changes) are dropped and created again."""
    gone, fresh, matched = _pairs(*items)
    out: list[Change] = [drop(x) for x, _ in gone]
    for x, x2, n in matched:
        if rebuild(x2):
            out += [(rebuild_drop or drop)(x), add(n)]
        elif x2.name != n.name and replace(x2, name=n.name) == n:
            out.append(RenameObject(t, kind, x.name, n.name, o))
        elif x2 != n:
            out += [drop(x), add(n)]
    return out + [add(n) for n in fresh]


def changed_table(o: Table, o2: Table, t: Table, renamed_columns: dict[str, str],
                  rebuilt: frozenset[str] = frozenset()) -> list[Change]:
    """Sub-object changes of a table on both sides; `o2` is `o` translated into new names;
    `rebuilt` names the columns whose enum type is rebuilt by this migration."""
    def items(attr):
        return [getattr(x, attr) for x in (o, o2, t)]

    out = column_changes(o, o2, t, renamed_columns)
    retyped = rebuilt | {c.new.name for c in out if isinstance(c, AlterColumn) and c.what & {"type", "collation"}}
    out += table_property_changes(o, t)
    keys = [tuple(x for x in (tb.primary_key,) if x) + tb.uniques + tb.checks + tb.exclusions for tb in (o, o2, t)]
    out += _keyed(o, t, keys, "CONSTRAINT", lambda c: AddConstraint(t, c, existing=True),
                  lambda c: DropConstraint(o, c), lambda c: isinstance(c, Check) and uses_columns(c, rebuilt))
    out += _keyed(o, t, items("foreign_keys"), "CONSTRAINT", lambda f: AddForeignKey(t, f, existing=True),
                  lambda f: DropForeignKey(o, f, existing=True))
    out += _keyed(o, t, items("indexes"), "INDEX", lambda i: AddIndex(t, i, concurrently=True),
                  lambda i: DropIndex(o, i, concurrently=True), lambda i: uses_columns(i, rebuilt),
                  lambda i: DropIndex(o, i))
    out += _comments(o2, t, o)
    out += _keyed(o, t, items("triggers"), "TRIGGER", lambda x: AddTrigger(t, x), lambda x: DropTrigger(o, x))
    if (o.rls_enabled, o.rls_forced) != (t.rls_enabled, t.rls_forced):
        out.append(SetRls(t, t.rls_enabled, t.rls_forced, o.rls_enabled, o.rls_forced, o))
    out += _policies(o, o2, t, retyped)
    out += _grants(o, t)
    return out + publication_changes(o, t)


def _policies(o: Table, o2: Table, t: Table, retyped: frozenset[str]) -> list[Change]:
    """PostgreSQL will not change the type of a column a policy uses: such policies are
    dropped before and created after; others are altered in place where ALTER POLICY can."""
    gone, fresh, matched = _pairs(o.policies, o2.policies, t.policies)
    out: list[Change] = [DropPolicy(o, x) for x, _ in gone]
    for x, x2, n in matched:
        if uses_columns(x2, retyped):
            out += [DropPolicy(o, x), AddPolicy(t, n)]
        elif x2.name != n.name and replace(x2, name=n.name) == n:
            out.append(RenameObject(t, "POLICY", x.name, n.name, o))
        elif x2 != n:
            out += [AlterPolicy(t, x, n, o)] if _alterable(x2, n) else [DropPolicy(o, x), AddPolicy(t, n)]
    return out + [AddPolicy(t, n) for n in fresh]


def _alterable(a: Policy, b: Policy) -> bool:
    """ALTER POLICY changes roles, USING and WITH CHECK, but cannot remove a clause (nor rename)."""
    return a.name == b.name and (a.command, a.permissive) == (b.command, b.permissive) \
        and not (a.using and b.using is None) and not (a.check and b.check is None)


def _grants(o: Table, t: Table) -> list[Change]:
    before, after = grant_atoms(o.grants), grant_atoms(t.grants)
    return [RevokeGrant(o, g) for g in atoms_to_grants(before - after)] + \
        [AddGrant(t, g) for g in atoms_to_grants(after - before)]


def grant_atoms(grants) -> set[tuple[str, str, str | None]]:
    """(role, privilege, column or None) for every privilege a grant list holds."""
    return {(g.role, p, c) for g in grants for p in g.privileges for c in (g.columns or (None,))}


def atoms_to_grants(atoms) -> list[Grant]:
    """Back into the model's canonical form: one table grant per role (its privileges), one
    column grant per role and privilege (its columns); sorted."""
    table: dict[str, set[str]] = {}
    column: dict[tuple[str, str], set[str]] = {}
    for role, priv, col in atoms:
        if col is None:
            table.setdefault(role, set()).add(priv)
        else:
            column.setdefault((role, priv), set()).add(col)
    out = [Grant(r, tuple(sorted(p))) for r, p in table.items()]
    out += [Grant(r, (p,), tuple(sorted(c))) for (r, p), c in column.items()]
    return sorted(out, key=grant_key)


def grant_key(g: Grant) -> tuple:
    return (g.role, bool(g.columns), g.privileges, g.columns)
