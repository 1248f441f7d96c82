"""Plans: order changes into statements (drops first, in reverse phase order; then adds by
phase), creating tables in dependency order with foreign keys inline where the target
already exists and trailing ADD CONSTRAINTs only for cycles."""
from __future__ import annotations

from dataclasses import dataclass

from generator.diff import changes as ch
from generator.model import ForeignKey
from generator.postgres.render import PHASE, Statement, render_change

DROPS = (ch.DropExtension, ch.DropSchema, ch.DropRole, ch.DropEnum, ch.DropTable, ch.DropForeignKey,
         ch.DropIndex, ch.DropFunction, ch.DropTrigger, ch.DropView, ch.DropPolicy, ch.RevokeGrant)


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
        visiting.discard(k)
        done.add(k)
        out.append(a)

    for a in adds:
        visit(a)
    return out


def plan(changes: list[ch.Change]) -> Plan:
    drops = [c for c in changes if isinstance(c, DROPS)]
    adds = [c for c in changes if not isinstance(c, DROPS)]
    statements: list[Statement] = []
    for c in _drop_order(drops):
        statements += render_change(c)
    statements += _add_statements(adds)
    return Plan(statements)


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
    ch.DropExtension: "extensions", ch.DropSchema: "schemas", ch.DropRole: "roles", ch.DropEnum: "enums",
    ch.DropTable: "tables", ch.DropForeignKey: "foreign_keys", ch.DropIndex: "indexes",
    ch.DropFunction: "functions", ch.DropTrigger: "triggers", ch.DropView: "views", ch.DropPolicy: "policies",
    ch.RevokeGrant: "grants",
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
        if isinstance(c, ch.AddForeignKey) and c.table.key in position:
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


def render_script(statements: list[Statement], header: str = "", transaction: bool = True) -> str:
    parts = [header.rstrip() + "\n"] if header else []
    tx = transaction and all(s.transactional for s in statements)
    if tx:
        parts.append("BEGIN;\n")
    for s in statements:
        parts.append(f"\n-- {s.comment}\n{s.sql}\n")
    if tx:
        parts.append("\nCOMMIT;\n")
    return "".join(parts)
