"""Plans: order changes into statements (drops first, in reverse phase order; then renames
and adds by phase; enums, schemas and extensions are dropped last, once nothing uses them),
creating tables in dependency order with foreign keys inline where the target already
exists and trailing ADD CONSTRAINTs only for cycles."""
from __future__ import annotations

from generator.render import oneline

import re
from dataclasses import dataclass, replace

from generator.diff import alter as al
from generator.diff import changes as ch
from generator.diff import objects as ob
from generator.diff.publish import DropFromPublication
from generator.model import ForeignKey, Function
from generator.postgres.render import PHASE, Statement, render_change

DROPS = (ch.DropRole, ch.DropTable, ch.DropForeignKey, ch.DropIndex, ch.DropFunction, ch.DropTrigger, ch.DropView,
         ch.DropPolicy, ch.RevokeGrant, al.DropColumn, al.DropConstraint, ob.DropAggregate, ob.DropRaw,
         DropFromPublication)
# after columns stop using them (see _late)
LATE_DROPS = (ch.DropEnum, ch.DropSchema, ch.DropExtension, ob.DropType, ob.DropCollation, ob.DropSequence)
RENAME_ORDER = (al.RenameEnum, al.RenameEnumValue, al.RenameTable, al.RenameColumn, al.RenameObject)


@dataclass
class Plan:
    statements: list[Statement]

    def sql(self, header: str = "", transaction: bool = True) -> str:
        return render_script(self.statements, header, transaction)


def _table_order(adds: list[ch.AddTable]) -> list[ch.AddTable]:
    """Depth-first topological order, stable in spec order; cycles are broken where met."""
    by_key = {a.table.key: a for a in adds}
    done, visiting, out = set(), set(), []

    def visit(a: ch.AddTable):
        k = a.table.key
        if k in done or k in visiting:
            return
        visiting.add(k)
        for fk in a.table.foreign_keys:
            target = by_key.get((fk.ref_schema, fk.ref_table))
            if target is not None and target.table.key != k:
                visit(target)
        for parent in parents(a.table):
            if parent in by_key and parent != k:
                visit(by_key[parent])
        visiting.discard(k)
        done.add(k)
        out.append(a)

    for a in adds:
        visit(a)
    return out


def parents(t) -> list[tuple[str, str]]:
    """Keys of the tables a partition or an inheriting table is made from."""
    from generator.db.types import split_qualified
    out = []
    for name in ((t.partition_of,) if t.partition_of else ()) + t.inherits:
        schema, table = split_qualified(name)
        out.append((schema or "public", table))
    return out


def plan(changes: list[ch.Change]) -> Plan:
    late = [c for c in changes if _late(c, changes)]
    replaced = [c for c in changes if _replaced_later(c, changes)]
    late_ids = {id(c) for c in late + replaced}
    drops = [c for c in changes if isinstance(c, DROPS) and id(c) not in late_ids]
    adds = [c for c in changes if not isinstance(c, DROPS + LATE_DROPS)]
    adds.sort(key=lambda c: RENAME_ORDER.index(type(c)) if isinstance(c, RENAME_ORDER) else 0)
    adds = order_functions(adds)
    statements: list[Statement] = []
    for c in _drop_order(drops):
        statements += render_change(c)
    statements += early_functions(_add_statements(adds), adds)
    for c in replaced:
        statements += render_change(c)
    for c in sorted(late, key=lambda c: -_phase_of(c)):
        statements += render_change(c)
    return Plan(place_raw(statements))


def _creates(s: Statement) -> set[str]:
    """Names (schema.name, or a raw object's name) of what a statement's change creates."""
    c = s.change
    for attr in ("table", "view", "function", "sequence", "type", "aggregate", "enum", "collation"):
        obj = getattr(c, attr, None)
        if obj is not None and type(c).__name__.startswith("Add"):
            return {f"{obj.schema}.{obj.name}"}
    if isinstance(c, ob.AddRaw):
        return {c.raw.name}
    return set()


def place_raw(statements: list[Statement]) -> list[Statement]:
    """Raw SQL objects go right after the last statement creating what they name in `after`;
    those naming nothing go before the types and tables (after schemas and roles)."""
    raw = [s for s in statements if isinstance(s.change, ob.AddRaw)]
    if not raw:
        return statements
    out = [s for s in statements if not isinstance(s.change, ob.AddRaw)]
    for s in raw:
        deps = set(s.change.raw.after)
        hits = [i for i, x in enumerate(out) if _creates(x) & deps]
        if hits:
            pos = hits[-1] + 1
            while pos < len(out) and out[pos].change is out[hits[-1]].change:
                pos += 1            # after the comments and grants of the same change
        else:
            pos = next((i for i, x in enumerate(out) if PHASE[x.phase] > PHASE["roles"]), len(out))
        out.insert(pos, s)
    return out


def _replaced_later(c: ch.Change, changes: list[ch.Change]) -> bool:
    """An index replaced by another on the same table goes after the new one is built, so the
    lookups it served (a foreign key's, a query's) are never left without an index. Not when the
    new index takes its name, nor when the table or one of its columns goes too (DROP INDEX names
    the index alone, so renames in between do not matter)."""
    if not isinstance(c, ch.DropIndex):
        return False
    key, cols = c.table.key, set(c.index.columns)
    built = [a for a in changes if isinstance(a, (ch.AddIndex, al.AddConstraint)) and a.table.key == key]
    if not built or any(getattr(a, "index", None) is not None and a.index.name == c.index.name for a in built):
        return False
    return not any((isinstance(x, ch.DropTable) and x.table.key == key)
                   or (isinstance(x, al.DropColumn) and x.table.key == key and x.column.name in cols)
                   for x in changes)


def _late(c: ch.Change, changes: list[ch.Change]) -> bool:
    """Types, schemas, extensions and functions go once nothing uses them (after column
    changes and table drops); a function replaced by a new one of the same signature goes first."""
    if isinstance(c, ch.DropFunction):
        return not any(isinstance(a, ch.AddFunction) and a.function.key == c.function.key for a in changes)
    return isinstance(c, LATE_DROPS)


def _drop_order(drops: list[ch.Change]) -> list[ch.Change]:
    """Reverse phase order; tables dropped dependants first, FKs of dropped cycles first."""
    table_drops = [c for c in drops if isinstance(c, ch.DropTable)]
    ordered_tables = list(reversed(_table_order([ch.AddTable(d.table) for d in table_drops])))
    by_key = {d.table.key: d for d in table_drops}
    dropping = set(by_key)
    pos = {a.table.key: i for i, a in enumerate(reversed(ordered_tables))}
    cyclic: list[ch.Change] = []
    for d in table_drops:
        for fk in d.table.foreign_keys:
            tk = (fk.ref_schema, fk.ref_table)
            if tk in dropping and tk != d.table.key and pos[tk] > pos[d.table.key]:
                cyclic.append(ch.DropForeignKey(d.table, fk))
    rest = [c for c in drops if not isinstance(c, ch.DropTable)]
    rest.sort(key=lambda c: -_phase_of(c))
    before = [c for c in rest if _phase_of(c) > PHASE["tables"]]
    after = [c for c in rest if _phase_of(c) <= PHASE["tables"]]
    return before + cyclic + [by_key[a.table.key] for a in ordered_tables] + after


_PHASE_OF = {
    ob.DropSequence: "sequences", ob.DropType: "types", ob.DropCollation: "collations", ob.DropAggregate: "aggregates",
    ob.DropRaw: "raw",
    ch.DropExtension: "extensions", ch.DropSchema: "schemas", ch.DropRole: "roles", ch.DropEnum: "enums",
    ch.DropTable: "tables", ch.DropForeignKey: "foreign_keys", ch.DropIndex: "indexes",
    ch.DropFunction: "functions", ch.DropTrigger: "triggers", ch.DropView: "views", ch.DropPolicy: "policies",
    ch.RevokeGrant: "grants", al.DropColumn: "columns", al.DropConstraint: "constraints",
    DropFromPublication: "publications",
}


def _phase_of(c: ch.Change) -> int:
    return PHASE[_PHASE_OF.get(type(c), "tables")]


def _add_statements(adds: list[ch.Change]) -> list[Statement]:
    tables = [c for c in adds if isinstance(c, ch.AddTable)]
    order = _table_order(tables)
    position = {a.table.key: i for i, a in enumerate(order)}
    inline: dict[tuple, list[ForeignKey]] = {}
    trailing: list[ch.Change] = []
    for c in adds:
        # on Citus a key is made after both tables are distributed (create_distributed_table
        # checks the keys a table already has against placements not made yet)
        if isinstance(c, ch.AddForeignKey) and c.table.key in position and c.fk.validated and not c.late \
                and c.table.meta.placement is None:
            target = (c.fk.ref_schema, c.fk.ref_table)
            if target not in position or position[target] <= position[c.table.key]:
                inline.setdefault(c.table.key, []).append(c.fk)
                continue
        trailing.append(c)
    statements: list[Statement] = []
    for a in order:
        statements += render_change(a, tuple(inline.get(a.table.key, ())))
    for c in trailing:
        if not isinstance(c, ch.AddTable):
            statements += render_change(c)
    table_stmts = [s for s in statements if s.phase == "tables"]
    others = [s for s in statements if s.phase != "tables"]
    merged = table_stmts + others
    return sorted(merged, key=lambda s: PHASE[s.phase])


def _calls(text: str | None, f: Function) -> bool:
    """Whether SQL text calls function `f` (by name, qualified or not)."""
    return bool(text) and f.name in text and \
        re.search(r'(?:^|[^\w$"])"?' + re.escape(f.name) + r'"?\s*\(', text) is not None


def order_functions(adds: list[ch.Change]) -> list[ch.Change]:
    """New functions after the new functions their bodies call (stable otherwise)."""
    fns = [c for c in adds if isinstance(c, ch.AddFunction)]
    done, ordered = set(), []

    def visit(c: ch.AddFunction, stack: tuple = ()) -> None:
        if id(c) in done or id(c) in stack:
            return
        for other in fns:
            if other is not c and _calls(c.function.body, other.function):
                visit(other, stack + (id(c),))
        done.add(id(c))
        ordered.append(c)

    for c in fns:
        visit(c)
    slots = iter(ordered)
    return [next(slots) if isinstance(c, ch.AddFunction) else c for c in adds]


def _expressions(c: ch.Change) -> list[str | None]:
    """SQL expressions a change puts in a table (defaults, generated columns, checks, indexes)."""
    if isinstance(c, ch.AddTable):
        return [e for col in c.table.columns for e in (col.default, col.generated)] + \
            [k.expression for k in c.table.checks]
    if isinstance(c, (al.AddColumn, al.AlterColumn)):
        col = c.column if isinstance(c, al.AddColumn) else c.new
        return [col.default, col.generated]
    if isinstance(c, al.AddConstraint):
        return [getattr(c.constraint, "expression", None)]
    if isinstance(c, ch.AddIndex):
        return [c.index.where] + [e.expression for e in c.index.elements]
    return []


def _reads(body: str, v) -> bool:
    return v.name in body and re.search(r'(?:^|[^\w$"])"?' + re.escape(v.name) + r'"?(?:[^\w$"(]|$)', body) is not None


def early_functions(statements: list[Statement], adds: list[ch.Change]) -> list[Statement]:
    """Functions that a new default, generated column, check or index calls (and what they
    call) are created before the tables."""
    fns = [c for c in adds if isinstance(c, ch.AddFunction)]
    exprs = [e for c in adds for e in _expressions(c) if e]
    early = {id(c) for c in fns if any(_calls(e, c.function) for e in exprs)}
    views = [c.view for c in adds if isinstance(c, ch.AddView)]
    # a SQL function's body is checked when it is created: one reading a view comes unchecked
    early |= {id(c) for c in fns if c.function.language == "sql" and not c.function.atomic
              and any(_reads(c.function.body, v) for v in views)}
    grew = True
    while grew:
        more = {id(o) for c in fns if id(c) in early for o in fns if _calls(c.function.body, o.function)} - early
        early |= more
        grew = bool(more)
    if not early:
        return statements
    moved = [replace(s, phase="early_functions") if id(s.change) in early else s for s in statements]
    # As pg_dump does: a body may read tables created further down; it is checked when called.
    unchecked = Statement("SET LOCAL check_function_bodies = false;",
                          "function bodies below are checked when called (they may read tables created later)",
                          "early_functions")
    return sorted([unchecked] + moved, key=lambda s: PHASE[s.phase])


def render_script(statements: list[Statement], header: str = "", transaction: bool = True) -> str:
    parts = [header.rstrip() + "\n"] if header else []
    tx = transaction and all(s.transactional for s in statements)
    if tx:
        parts.append("BEGIN;\n")
    for s in statements:
        parts.append(f"\n-- {oneline(s.comment)}\n{s.sql}\n")
    if tx:
        parts.append("\nCOMMIT;\n")
    return "".join(parts)
