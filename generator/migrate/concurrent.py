"""Concurrent index builds in no-transaction migrations: an INVALID index left by a failed,
cancelled or killed `CREATE INDEX CONCURRENTLY` is dropped before the build runs again, and a
build only counts once the index is VALID (IF NOT EXISTS alone would skip the broken one)."""
from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

from generator.db.types import split_qualified
from generator.model.naming import qualified

_NAME = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_QNAME = rf"{_NAME}(?:\s*\.\s*{_NAME})?"
_BUILD = re.compile(rf"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<index>{_NAME})"
                    rf"\s+ON\s+(?:ONLY\s+)?(?P<table>{_QNAME})", re.IGNORECASE)
_COMMENT = re.compile(r"^\s*--[^\n]*\n", re.MULTILINE)

VALIDITY = """SELECT i.indisvalid FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = %s AND n.nspname = %s"""
TABLE_SCHEMA = "SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n " \
               "ON n.oid = c.relnamespace WHERE c.oid = to_regclass(%s)"
INVALID = """SELECT n.nspname, c.relname, t.relname FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid AND n.nspname = ANY(%s) ORDER BY 1, 2"""


@dataclass(frozen=True)
class Build:
    """`CREATE INDEX CONCURRENTLY name ON table`: the index lives in the table's schema."""
    index: str
    table: str          # as written (maybe qualified, maybe quoted)

    def schema(self, conn: psycopg.Connection) -> str:
        row = conn.execute(TABLE_SCHEMA, (self.table,)).fetchone()
        return row[0] if row else (split_qualified(self.table)[0] or "public")

    def qname(self, schema: str) -> str:
        return qualified(schema, self.index)


def build_of(statement: str) -> Build | None:
    m = _BUILD.match(_COMMENT.sub("", statement))
    return Build(split_qualified(m["index"])[1], m["table"]) if m else None


def validity(conn: psycopg.Connection, build: Build) -> bool | None:
    """True valid, False INVALID, None absent."""
    row = conn.execute(VALIDITY, (build.index, build.schema(conn))).fetchone()
    return None if row is None else bool(row[0])


def clear_invalid(conn: psycopg.Connection, build: Build) -> str | None:
    """Drop the index if a failed build left it INVALID; returns its name when it did."""
    if validity(conn, build) is False:
        name = build.qname(build.schema(conn))
        conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        return name
    return None


def invalid_indexes(conn: psycopg.Connection, schemas: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(schema, index, table) of every INVALID index in `schemas`."""
    return [tuple(r) for r in conn.execute(INVALID, (list(schemas),)).fetchall()]
