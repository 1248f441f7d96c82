"""Parent rows built once per table and shared by its constraint proofs: each proof runs in a
savepoint of the table's one rolled-back transaction, and its top-level rows take their tenant
and parents from fixtures built ahead there, as they would have built them (rows.Fixture)."""
from __future__ import annotations

import psycopg

from generator.model import ForeignKey, Schema, Table
from generator.verify.rows import SEQ_FIXTURES, BuildError, Fixture, RowBuilder, restart
from generator.verify.session import savepoint


def fixtures(conn: psycopg.Connection, schema: Schema, index: int, t: Table,
             fills: list[tuple[str, ...]]) -> list[Fixture]:
    """A fixture per entry of `fills` for table `t` (position `index`): the parents a row of
    `t` would get with those columns filled (the first row of any proof: every key; a
    unique proof's duplicate: its key's columns), each from a value range of its own, built
    in the current transaction; fewer (none) when one cannot be built: the proofs then build
    their rows afresh and meet the same error themselves."""
    out = []
    for k, fill in enumerate(fills):
        restart(SEQ_FIXTURES, index, k)
        try:
            with savepoint(conn, "gen_fixture", undo=False):
                out.append(RowBuilder(conn, schema).prepare(t, fill))
        except BuildError:
            break
    return out


def shares(schema: Schema, deletes: ForeignKey | None) -> bool:
    """May a proof use the shared fixtures? Not one that deletes the tenancy root's row: every
    row of a fixture is in that tenant, so the delete would reach rows the proof never made."""
    ten = schema.tenancy
    return deletes is None or ten is None or deletes.ref_table != ten.root
