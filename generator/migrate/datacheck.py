"""What live data says about a statement before or after it runs: which tables and columns a
script drops that still hold data (a down migration is refused then, unless acknowledged), and
which rows block a NOT NULL, UNIQUE or PRIMARY KEY that failed (named in the error)."""
from __future__ import annotations

import re

import psycopg

from generator.db.types import split_qualified, split_top_level
from generator.model.naming import qualified, quote_ident

_NAME = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_QNAME = rf"{_NAME}(?:\s*\.\s*{_NAME})?"
_COMMENTS = re.compile(r"^\s*--[^\n]*\n", re.MULTILINE)
DROP_TABLE = re.compile(r"^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?P<names>.+?)(?:\s+(?:CASCADE|RESTRICT))?\s*;?\s*$",
                        re.IGNORECASE | re.DOTALL)
ALTER_TABLE = re.compile(rf"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{_QNAME})\s+(?P<actions>.+?)"
                         r"\s*;?\s*$", re.IGNORECASE | re.DOTALL)
DROP_COLUMN = re.compile(rf"^DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?(?P<column>{_NAME})(?:\s+(?:CASCADE|RESTRICT))?$",
                         re.IGNORECASE)
SET_NOT_NULL = re.compile(rf"^ALTER\s+(?:COLUMN\s+)?(?P<column>{_NAME})\s+SET\s+NOT\s+NULL$", re.IGNORECASE)
ADD_KEY = re.compile(r"^ADD\s+(?:CONSTRAINT\s+\S+\s+)?(?:UNIQUE|PRIMARY\s+KEY)\s*(?:NULLS\s+(?:NOT\s+)?DISTINCT\s*)?"
                     r"\((?P<columns>[^)]*)\)", re.IGNORECASE)
UNIQUE_INDEX = re.compile(rf"^\s*CREATE\s+UNIQUE\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}\s+ON\s+"
                          rf"(?:ONLY\s+)?(?P<table>{_QNAME})\s*(?:USING\s+\w+\s*)?\((?P<columns>[^()]*)\)"
                          r"(?:\s+WHERE\s+(?P<where>.+?))?\s*;?\s*$", re.IGNORECASE | re.DOTALL)
SAMPLE = 5


def _name(text: str) -> str:
    schema, name = split_qualified(text)
    return qualified(schema, name) if schema else quote_ident(name)


def _exists(conn: psycopg.Connection, table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]


def _stored_column(conn: psycopg.Connection, table: str, column: str) -> bool:
    """The column exists and holds its own data (a generated column's can be computed again)."""
    return bool(conn.execute("SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s "
                             "AND NOT attisdropped AND attgenerated = ''", (table, column)).fetchone())


def _count(conn: psycopg.Connection, table: str, where: str = "true") -> str:
    n = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {where} LIMIT 1001) s").fetchone()[0]
    return "" if n == 0 else ("over 1000" if n > 1000 else str(n))


def statement_body(statement: str) -> str:
    return _COMMENTS.sub("", statement).strip()


def dropped_data(conn: psycopg.Connection, statements: list[str]) -> list[str]:
    """`table products (12 rows)`, `column products.note (3 rows hold a value)` for every table
    or column the statements drop that holds data now."""
    out = []
    for st in map(statement_body, statements):
        if m := DROP_TABLE.match(st):
            for name in map(_name, split_top_level(m["names"])):
                if _exists(conn, name) and (n := _count(conn, name)):
                    out.append(f"table {name} ({n} rows)")
        elif m := ALTER_TABLE.match(st):
            table = _name(m["table"])
            for action in split_top_level(m["actions"]):
                col = DROP_COLUMN.match(action.strip())
                if col and _exists(conn, table):
                    column = split_qualified(col["column"])[1]
                    if _stored_column(conn, table, column) and \
                            (n := _count(conn, table, f"{quote_ident(column)} IS NOT NULL")):
                        out.append(f"column {table}.{column} ({n} rows hold a value)")
    return out


def _key_columns(conn: psycopg.Connection, table: str) -> list[str]:
    """The primary key's columns (to name rows by), else ctid."""
    rows = conn.execute("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(%s) AND i.indisprimary",
                        (table,)).fetchall()
    return [quote_ident(r[0]) for r in rows] or ["ctid"]


def _show(row, names) -> str:
    return ", ".join(f"{n.strip(chr(34))}={v}" for n, v in zip(names, row))


def _nulls(conn: psycopg.Connection, table: str, column: str) -> str:
    keys = _key_columns(conn, table)
    col = quote_ident(column)
    total = _count(conn, table, f"{col} IS NULL")
    rows = conn.execute(f"SELECT {', '.join(keys)} FROM {table} WHERE {col} IS NULL LIMIT {SAMPLE}").fetchall()
    shown = "; ".join(_show(r, keys) for r in rows)
    return f"{total} rows of {table} hold NULL in {column}, e.g. {shown}"


def _duplicates(conn: psycopg.Connection, table: str, columns: list[str], where: str | None) -> str:
    cols = [quote_ident(split_qualified(c)[1]) for c in columns]
    cond = " AND ".join([f"{c} IS NOT NULL" for c in cols] + ([f"({where})"] if where else []))
    rows = conn.execute(f"SELECT {', '.join(cols)}, count(*) FROM {table} WHERE {cond} GROUP BY {', '.join(cols)} "
                        f"HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT {SAMPLE}").fetchall()
    shown = "; ".join(f"({', '.join(map(str, r[:-1]))}) in {r[-1]} rows" for r in rows)
    return f"{table} ({', '.join(c.strip(chr(34)) for c in cols)}) has duplicate values: {shown}"


def checked_by(statement: str) -> bool:
    """Whether `statement` adds NOT NULL, UNIQUE or PRIMARY KEY (so blockers can be named)."""
    body = statement_body(statement)
    if UNIQUE_INDEX.match(body):
        return True
    m = ALTER_TABLE.match(body)
    return bool(m) and any(SET_NOT_NULL.match(a.strip()) or ADD_KEY.match(a.strip())
                           for a in split_top_level(m["actions"]))


def blockers(conn: psycopg.Connection, statement: str) -> str | None:
    """The rows that keep `statement` (NOT NULL, UNIQUE, PRIMARY KEY) from succeeding now."""
    body = statement_body(statement)
    if m := UNIQUE_INDEX.match(body):
        columns = split_top_level(m["columns"])
        if all(re.fullmatch(_NAME, c.strip()) for c in columns):
            table = _name(m["table"])
            found = _duplicates(conn, table, columns, m["where"])
            return found if not found.endswith(": ") else None
        return None
    m = ALTER_TABLE.match(body)
    if not m:
        return None
    table, found = _name(m["table"]), []
    for action in split_top_level(m["actions"]):
        nn = SET_NOT_NULL.match(action.strip())
        column = split_qualified(nn["column"])[1] if nn else None
        if column and _count(conn, table, f"{quote_ident(column)} IS NULL"):
            found.append(_nulls(conn, table, column))
        elif key := ADD_KEY.match(action.strip()):
            dup = _duplicates(conn, table, split_top_level(key["columns"]), None)
            if not dup.endswith(": "):
                found.append(dup)
    return "; ".join(found) or None
