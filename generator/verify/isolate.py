"""A key's proof isolated from the table's other keys: the triggers of keys sharing a column
with it switched off inside the rolled-back proof."""
from __future__ import annotations

from weakref import WeakKeyDictionary

import psycopg

from generator.model import ForeignKey, Table
from generator.model.naming import qualified, quote_ident, shorten


def _q(t: Table) -> str:
    return qualified(t.schema, t.name, "")


def isolates(t: Table, fk: ForeignKey) -> bool:
    """Does isolate() switch anything off for `fk`? (Only ever triggers of `t`'s own keys.)"""
    return bool(fk.shared) or any(o.name != fk.name and set(o.columns) & set(fk.columns) for o in t.foreign_keys)


def isolate(conn: psycopg.Connection, t: Table, fk: ForeignKey) -> None:
    """Switch off (in the rolled-back proof) the triggers of the table's other foreign keys that
    share a column with `fk`, so that what happens is `fk`'s doing: a tenant-consistent key and
    the tenant column's own key both fire on a changed tenant column. One ALTER TABLE per
    relation, all in one round trip (each ALTER rebuilds the relation's cache entry)."""
    off: list[tuple[str, str]] = []
    if fk.shared:     # same_tenant: shared: gen's trigger would refuse an orphan before the key does
        off.append((_q(t), shorten(f"{t.name}_{'_'.join(fk.columns)}_tenant")))
    others = [o.name for o in t.foreign_keys if o.name != fk.name and set(o.columns) & set(fk.columns)]
    if others:
        off += _triggers(conn, _q(t), tuple(others))
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


# Per connection, (table, keys) -> their triggers: within one run of proofs (a connection)
# a proof's DDL is rolled back and renames nothing, so the catalog is asked once.
_TRIGGERS: WeakKeyDictionary = WeakKeyDictionary()


def _triggers(conn: psycopg.Connection, table: str, keys: tuple[str, ...]) -> list[tuple[str, str]]:
    """(relation, trigger name) of each trigger of the constraints `keys` of `table`."""
    known = _TRIGGERS.setdefault(conn, {})
    if (table, keys) not in known:
        known[(table, keys)] = conn.execute(
            "SELECT tg.tgrelid::regclass::text, tg.tgname FROM pg_trigger tg JOIN pg_constraint c "
            "ON c.oid = tg.tgconstraint WHERE c.conrelid = %s::regclass AND c.conname = ANY(%s) "
            "ORDER BY tg.oid", (table, list(keys))).fetchall()
    return known[(table, keys)]
