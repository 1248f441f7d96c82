"""The ON DELETE proofs of tenant keys, batched: deleting a tenancy root's row fires the action of
every key that references it (1000 tables: ~20 ms and thousands of locks per row), so the
children of several tables are built under one tenant and that one row is deleted. A batch
counts only when it shows each proof's pass; otherwise its proofs run one by one as ever."""
from __future__ import annotations

import psycopg

from generator.model import ForeignKey, Schema, Table
from generator.model.naming import qualified, quote_ident
from generator.verify.after_delete import found
from generator.verify.attempt import attempt
from generator.verify.isolate import isolate, isolates
from generator.verify.report import Result, passed
from generator.verify.rows import SEQ_CONSTRAINTS, SEQ_FIXTURES, BuildError, Row, RowBuilder, restart
from generator.verify.session import savepoint, scratch

BATCH = 25       # proofs per deleted row: their trees of rows add a few hundred locks at most
Item = tuple[int, int, Table, ForeignKey]      # (table position, proof position, table, key)


def batchable(schema: Schema, t: Table, fk: ForeignKey) -> bool:
    """A required tenant column's CASCADE key to the root, the only key of the table to the
    root (so the proof gives the child no parent of its own): each child's rows then hang from
    the tenant row as its proof alone would build them."""
    ten = schema.tenancy
    root = schema.table(ten.root) if ten is not None else None
    col = t.meta.tenant_column
    if root is None or root.primary_key is None or not col or t.column(col) is None:
        return False
    return (tuple(fk.columns) == (col,) and fk.on_delete == "CASCADE"
            and (fk.ref_schema, fk.ref_table) == root.key and tuple(fk.ref_columns) == tuple(root.primary_key.columns)
            and not t.column(col).nullable
            and not any(o.name != fk.name and (o.ref_schema, o.ref_table) == root.key for o in t.foreign_keys))


def tenant_deletes(conn: psycopg.Connection, schema: Schema, items: list[Item]) -> dict[tuple[int, int], Result]:
    """The passes of `items` proven in batches; a proof missing from the answer is left to run
    alone (its batch could not be built, the delete failed, or a child survived)."""
    out: dict[tuple[int, int], Result] = {}
    for batch in batches(schema, items):
        out.update(_batch(conn, schema, batch))
    return out


def batches(schema: Schema, items: list[Item]) -> list[list[Item]]:
    """`items` in batches of at most BATCH, in order. A proof that switches triggers of its
    table's keys off (isolate: those sharing its column, another key's cascade) shares a batch
    with no proof whose rows may include rows of its table (no other member's table descends
    from it): then each tree of rows meets only the triggers its proof alone would meet."""
    up = _ancestors(schema)
    out: list[list[Item]] = []
    for item in items:
        t = item[2]
        fits = [b for b in out[-1:] if len(b) < BATCH and all(
            not (isolates(t, item[3], True) and t.key in up[o[2].key]) and
            not (isolates(o[2], o[3], True) and o[2].key in up[t.key]) for o in b)]
        if fits:
            fits[0].append(item)
        else:
            out.append([item])
    return out


def _ancestors(schema: Schema) -> dict[tuple[str, str], set]:
    """Per table, every table its rows may reference, directly or through their parents."""
    refs = {t.key: {(fk.ref_schema, fk.ref_table) for fk in t.foreign_keys} for t in schema.tables}
    out: dict[tuple[str, str], set] = {}

    def walk(key):
        if key not in out:
            out[key] = set()              # a cycle: what is known so far
            found = set()
            for ref in refs.get(key, ()):
                found |= {ref} | walk(ref)
            out[key] = found
        return out[key]
    for key in refs:
        walk(key)
    return out


def _batch(conn: psycopg.Connection, schema: Schema, items: list[Item]) -> dict[tuple[int, int], Result]:
    root = schema.table(schema.tenancy.root)
    pk = root.primary_key.columns[0]
    with scratch(conn, "SET CONSTRAINTS ALL IMMEDIATE"):
        try:
            restart(SEQ_FIXTURES, items[0][0], 19)        # the shared tenant's own range
            tenant = RowBuilder(conn, schema).insert(root).literal(pk)
        except BuildError:
            return {}
        built = [(item, child) for item in items if (child := _child(conn, schema, tenant, item)) is not None]
        built = [(item, where) for item, child in built if (where := _found(conn, child)) is not None]
        for (_, _, t, fk), _where in built:
            isolate(conn, t, fk, deleting=True)
        if not attempt(conn, f"DELETE FROM {qualified(*root.key, '')} WHERE {quote_ident(pk)} = {tenant}").ok:
            return {}
        for (_, _, t, _), where in built:
            if conn.execute(f"SELECT 1 FROM {qualified(*t.key, '')} WHERE {where}").fetchall():
                return {}
    return {(i, n): passed("fk", f"{t.name}.{fk.name}", f"ON DELETE {fk.on_delete}", "") for (i, n, t, fk), _ in built}


def _found(conn: psycopg.Connection, child: Row) -> str | None:
    """A condition finding the child whatever an action did to its keys' columns (after_delete);
    None when it would find other rows too (the proof then runs alone)."""
    spot = found(conn, child.table, child)
    return spot[0] if spot is not None else None


class _Adopted(Exception):
    """A child's build took over an existing row (it may be another child's)."""


def _child(conn: psycopg.Connection, schema: Schema, tenant: str, item: Item) -> Row | None:
    """The proof's child row in `tenant`, from the proof's own value range, in a savepoint;
    None (and nothing left of it) when it cannot be built (its proof alone says why) or its
    build adopted an existing row."""
    i, n, t, fk = item
    restart(SEQ_CONSTRAINTS, i, n)
    b = RowBuilder(conn, schema)
    try:
        with savepoint(conn, "gen_child", undo=False):
            child = b.insert(t, fill=tuple(fk.columns), tenant=tenant)
            if b.adopted:
                raise _Adopted()
    except (BuildError, _Adopted):
        return None
    return child
