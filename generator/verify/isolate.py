"""A key's proof isolated from the table's other keys: the triggers of keys sharing a column
with it switched off inside the rolled-back proof, and for an ON DELETE proof those that could
do its action for it (another key's cascade from a row the delete reaches)."""
from __future__ import annotations

from weakref import WeakKeyDictionary

import psycopg

from generator.model import ForeignKey, Table
from generator.model.naming import qualified, quote_ident, shorten


def _q(t: Table) -> str:
    return qualified(t.schema, t.name, "")


def isolates(t: Table, fk: ForeignKey, deleting: bool = False) -> bool:
    """Does isolate() switch anything off for `fk`? (Only ever triggers acting on rows of `t`:
    those of its own keys; `deleting`: a CASCADE proof's, by the spec.)"""
    return bool(fk.shared) or any(
        o.name != fk.name and (set(o.columns) & set(fk.columns) or
                               deleting and fk.on_delete == o.on_delete == "CASCADE") for o in t.foreign_keys)


def isolate(conn: psycopg.Connection, t: Table, fk: ForeignKey, deleting: bool = False) -> None:
    """Switch off (in the rolled-back proof) the triggers of the table's other foreign keys that
    share a column with `fk`, so that what happens is `fk`'s doing: a tenant-consistent key and
    the tenant column's own key both fire on a changed tenant column. `deleting`, an ON DELETE
    proof: what else the delete could make look like `fk`'s action is switched off too (hide()),
    as a weakened key must not pass through another path from the deleted row to the child.
    One ALTER TABLE per relation, all in one round trip (each ALTER rebuilds the relation's cache entry)."""
    off: list[tuple[str, str]] = []
    if fk.shared:     # same_tenant: shared: gen's trigger would refuse an orphan before the key does
        off.append((_q(t), shorten(f"{t.name}_{'_'.join(fk.columns)}_tenant")))
    others = tuple(o.name for o in t.foreign_keys if o.name != fk.name and set(o.columns) & set(fk.columns))
    if others:
        off += _triggers(conn, _q(t), others)
    if deleting:
        off += [x for x in hide(conn, t, fk) if x not in off]
    if off:
        conn.execute(switch_off(off))


def switch_off(triggers: list[tuple[str, str]]) -> str:
    """ALTER TABLE ... DISABLE TRIGGER for each (relation, trigger), one statement per relation
    (in the order the relations first appear)."""
    by: dict[str, list[str]] = {}
    for relation, trigger in triggers:
        by.setdefault(relation, []).append(trigger)
    return "; ".join(f"ALTER TABLE {relation} " + ", ".join(f"DISABLE TRIGGER {quote_ident(x)}" for x in names)
                     for relation, names in by.items())


def hide(conn: psycopg.Connection, t: Table, fk: ForeignKey) -> list[tuple[str, str]]:
    """(relation, trigger) that could pass a weakened `fk`'s ON DELETE proof, by the database's
    catalog: for CASCADE, the cascading deletes of the table's other keys (any the database has)
    whose parent a delete of `fk`'s parent may reach (that table, or one with a key path to it:
    a second key to the same row, a chain through a third table); for RESTRICT / NO ACTION,
    `fk`'s own checks of the child's values (an action giving it a value no parent has would
    be refused by them, not by the parent)."""
    rows = _catalog(conn, _q(t))
    mine = {oid for _, _, oid, _, name, _, _ in rows if name == fk.name}
    grew = True
    while grew:           # its clones on the partitions of the table it references
        more = {oid for _, _, oid, parent, _, _, _ in rows if parent in mine}
        grew, mine = not more <= mine, mine | more
    if fk.on_delete == "CASCADE":
        near = _reach(conn, qualified(fk.ref_schema, fk.ref_table, ""))
        return [(rel, tg) for rel, tg, oid, _, _, proc, target in rows
                if oid not in mine and proc == "RI_FKey_cascade_del" and target in near]
    if fk.on_delete in ("RESTRICT", "NO ACTION"):
        return [(rel, tg) for rel, tg, oid, _, _, proc, _ in rows
                if oid in mine and proc in ("RI_FKey_check_ins", "RI_FKey_check_upd")]
    return []


# Per connection, what the catalog says: within one run of proofs (a connection) a proof's DDL
# is rolled back and renames nothing, so the catalog is asked once (preload(): for a run's tables
# in one query; a table it did not load, in one query of its own).
_TRIGGERS: WeakKeyDictionary = WeakKeyDictionary()

# (relation, trigger, constraint oid, its parent constraint's oid, constraint name, trigger
# function, referenced table's oid, constraint type) of each trigger of a constraint of the table.
_ROW = ("tg.tgrelid::regclass::text, tg.tgname::text, c.oid::int8, c.conparentid::int8, c.conname::text, "
        "f.proname::text, c.confrelid::int8, c.contype::text")
_JOINS = "pg_trigger tg JOIN pg_constraint c ON c.oid = tg.tgconstraint JOIN pg_proc f ON f.oid = tg.tgfoid"
_EDGES = "SELECT conrelid::int8, confrelid::int8 FROM pg_constraint WHERE contype = 'f'"
_PRELOAD = (
    "WITH w AS (SELECT x, to_regclass(x) AS rel FROM unnest(%s::text[]) x) "
    f"SELECT (SELECT coalesce(json_agg(json_build_array(w.x, {_ROW}) ORDER BY w.x, tg.oid), '[]') "
    "FROM w JOIN pg_constraint c ON c.conrelid = w.rel JOIN pg_trigger tg ON tg.tgconstraint = c.oid "
    "JOIN pg_proc f ON f.oid = tg.tgfoid), "
    "(SELECT json_agg(x) FROM w WHERE rel IS NOT NULL), "
    f"(SELECT coalesce(json_agg(json_build_array(e.conrelid, e.confrelid)), '[]') FROM ({_EDGES}) e), "
    "(SELECT coalesce(json_agg(json_build_array(x, to_regclass(x)::int8)), '[]') FROM unnest(%s::text[]) x)")


def preload(conn: psycopg.Connection, tables: list[Table]) -> None:
    """Ask the catalog in one query what isolate() will want for the proofs of `tables`: their
    keys' triggers, the foreign-key edges, the oids of the tables their CASCADE keys reference."""
    names = sorted({_q(t) for t in tables})
    parents = sorted({qualified(fk.ref_schema, fk.ref_table, "") for t in tables for fk in t.foreign_keys
                      if fk.on_delete == "CASCADE"})
    if not names:
        return
    rows, found, edges, oids = conn.execute(_PRELOAD, (names, parents)).fetchone()
    known = _TRIGGERS.setdefault(conn, {})
    for name in found or ():
        known[("rows", name)] = []
    for row in rows:
        known[("rows", row[0])].append(tuple(row[1:]))
    if "edges" not in known:
        known["edges"] = _edges(edges)
    for name, oid in oids:
        known[("oid", name)] = oid


def _edges(pairs) -> dict:
    edges: dict = {}
    for child, parent in pairs:
        edges.setdefault(parent, set()).add(child)
    return edges


def _rows(conn: psycopg.Connection, table: str) -> list[tuple]:
    """_ROW of every trigger of a constraint of `table`, by trigger oid."""
    known = _TRIGGERS.setdefault(conn, {})
    if ("rows", table) not in known:
        known[("rows", table)] = conn.execute(
            f"SELECT {_ROW} FROM {_JOINS} WHERE c.conrelid = %s::regclass ORDER BY tg.oid", (table,)).fetchall()
    return known[("rows", table)]


def _triggers(conn: psycopg.Connection, table: str, keys: tuple[str, ...]) -> list[tuple[str, str]]:
    """(relation, trigger name) of each trigger of the constraints `keys` of `table`."""
    return [(r[0], r[1]) for r in _rows(conn, table) if r[4] in keys]


def _catalog(conn: psycopg.Connection, table: str) -> list[tuple]:
    """(relation, trigger, constraint oid, its parent constraint's oid, constraint name, trigger
    function, referenced table's oid) of every trigger of `table`'s foreign keys."""
    return [r[:7] for r in _rows(conn, table) if r[7] == "f"]


def _reach(conn: psycopg.Connection, table: str) -> set:
    """Oids of `table` and of every table with a foreign-key path to it (whose rows a delete of
    one of its rows may reach), by the catalog."""
    known = _TRIGGERS.setdefault(conn, {})
    if "edges" not in known:
        known["edges"] = _edges(conn.execute(_EDGES).fetchall())
    if ("reach", table) not in known:
        if ("oid", table) not in known:
            known[("oid", table)] = conn.execute("SELECT to_regclass(%s)::int8", (table,)).fetchone()[0]
        start = known[("oid", table)]
        out, todo = set(), [start] if start is not None else []
        while todo:
            here = todo.pop()
            if here not in out:
                out.add(here)
                todo += known["edges"].get(here, ())
        known[("reach", table)] = out
    return known[("reach", table)]
