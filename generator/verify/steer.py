"""Change an existing row until a condition holds (or stops holding) for it: used to build a
row that a public_read policy shows or hides, a row a partial index covers, a non-admin."""
from __future__ import annotations

import psycopg

from generator.model import Table
from generator.model.naming import quote_ident
from generator.verify.rows import Row, RowBuilder
from generator.verify.values import NULL, base_values, expression_columns


def reload(conn: psycopg.Connection, row: Row) -> Row:
    t = row.table
    cols = ", ".join(f"{quote_ident(c.name)}::text" for c in t.columns)
    got = conn.execute(f"SELECT {cols} FROM {_q(t)} WHERE {row.where()}").fetchone()
    return Row(t, dict(zip((c.name for c in t.columns), got))) if got else row


def _q(t: Table) -> str:
    return f"{quote_ident(t.schema)}.{quote_ident(t.name)}"


def _holds(conn: psycopg.Connection, t: Table, row: Row, cond: str) -> bool:
    return conn.execute(f"SELECT coalesce(({cond}), false) FROM {_q(t)} WHERE {row.where()}").fetchone()[0]


def steer(b: RowBuilder, row: Row, cond: str, want: bool, only: list[str] | None = None) -> bool:
    """Update columns of `row` (not its key) until `cond` is `want` for it; True on success."""
    t, conn = row.table, b.conn
    if _holds(conn, t, row, cond) == want:
        return True
    keys = set(t.primary_key.columns) if t.primary_key else set()
    free = [c.name for c in t.columns if not c.generated and c.identity != "always" and c.name not in keys]
    for col in only or expression_columns(cond, free):
        for value in base_values(t.column(col).type, b.schema, next(b.seq)) + [NULL]:
            if _try_value(conn, t, row, col, value, cond, want):
                return True
    return False


def _try_value(conn, t: Table, row: Row, col: str, value: str, cond: str, want: bool) -> bool:
    try:
        with conn.transaction() as tx:
            conn.execute(f"UPDATE {_q(t)} SET {quote_ident(col)} = {value} WHERE {row.where()}")
            if _holds(conn, t, row, cond) == want:
                return True
            raise psycopg.Rollback(tx)
    except psycopg.Error:
        return False
    return False
