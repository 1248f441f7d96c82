"""A small sample-row filler for proofs: a few rows in every table of a model, parents before
children, each foreign key pointing at an existing parent row, values made from the column
types. Used to prove migrations on a scratch copy (`gen migrate up --prove`); its one entry
point, `fill`, is what a fuller sample-data generator (generator.sample) can replace."""
from __future__ import annotations

import psycopg

from generator.db.types import canonical_base
from generator.model import DataType, Schema, Table
from generator.model.naming import quote_ident, quote_literal
from generator.model.types import INTEGER_TYPES

ROWS = 3


def fill(conn: psycopg.Connection, schema: Schema, rows: int = ROWS) -> dict[tuple[str, str], int]:
    """Insert up to `rows` rows into each table of `schema` (committed); returns the rows each
    table holds afterwards. A row the constraints refuse is skipped, never an error."""
    out = {}
    enums = {e.key: e.values for e in schema.enums}
    for t in _parents_first(schema.tables):
        for i in range(rows):
            sql = _insert(t, i, enums)
            if sql is None:
                break
            try:
                with conn.transaction():
                    conn.execute(sql)
            except psycopg.Error:
                continue
        out[t.key] = conn.execute(f"SELECT count(*) FROM {t.qname}").fetchone()[0]
    return out


def _parents_first(tables: tuple[Table, ...]) -> list[Table]:
    by_key, done, out = {t.key: t for t in tables}, set(), []

    def visit(t: Table, stack: tuple = ()) -> None:
        if t.key in done or t.key in stack:
            return
        for fk in t.foreign_keys:
            parent = by_key.get((fk.ref_schema, fk.ref_table))
            if parent is not None and parent.key != t.key:
                visit(parent, stack + (t.key,))
        done.add(t.key)
        out.append(t)

    for t in tables:
        visit(t)
    return out


def _insert(t: Table, i: int, enums: dict) -> str | None:
    refs = {c: (fk, n) for fk in t.foreign_keys for n, c in enumerate(fk.columns)}
    names, values = [], []
    for c in t.columns:
        if c.generated or c.identity:
            continue
        if c.name in refs:
            fk, n = refs[c.name]
            order = ", ".join(quote_ident(x) for x in fk.ref_columns)
            value = (f"(SELECT {quote_ident(fk.ref_columns[n])} FROM {_qname(fk.ref_schema, fk.ref_table)} "
                     f"ORDER BY {order} OFFSET {i} LIMIT 1)")
        else:
            value = value_for(c.type, i, enums)
        if value is None:
            if c.default is not None or c.nullable:
                continue
            return None                      # a NOT NULL column we cannot fill: no rows here
        names.append(quote_ident(c.name))
        values.append(value)
    if not names:
        return f"INSERT INTO {t.qname} DEFAULT VALUES"
    return f"INSERT INTO {t.qname} ({', '.join(names)}) VALUES ({', '.join(values)})"


def _qname(schema: str, name: str) -> str:
    return quote_ident(name) if schema == "public" else f"{quote_ident(schema)}.{quote_ident(name)}"


_BY_TYPE = {
    "numeric": "{n}", "real": "{n}.5", "double precision": "{n}.5", "money": "{n}",
    "boolean": "{even}", "uuid": "gen_random_uuid()", "date": "current_date + {i}",
    "timestamp with time zone": "now() + interval '{i} seconds'",
    "timestamp without time zone": "localtimestamp + interval '{i} seconds'",
    "time without time zone": "'12:00'", "time with time zone": "'12:00+00'", "interval": "'{n} days'",
    "jsonb": "'{{}}'", "json": "'{{}}'", "bytea": "'\\x00'", "inet": "'10.0.0.{n}'", "cidr": "'10.0.{n}.0/24'",
    "tsvector": "''", "xml": "'<x/>'",
}


def value_for(t: DataType, i: int, enums: dict) -> str | None:
    """A literal of type `t` for row `i` (distinct per row where the type allows), or None."""
    if t.array_dims:
        return f"'{{}}'::{t.sql}"
    if t.enum:
        labels = enums.get((t.schema or "public", t.base))
        return f"{quote_literal(labels[i % len(labels)])}::{t.sql}" if labels else None
    base = canonical_base(t.base)
    if base in INTEGER_TYPES:
        return str(i + 1)
    if base in ("text", "character varying", "character", "citext", "name"):
        text = f"sample {i + 1}"[: t.modifiers[0]] if t.modifiers else f"sample {i + 1}"
        return f"{quote_literal(text)}::{t.sql}"
    if base in ("vector", "halfvec") and t.modifiers:
        return f"'[{','.join(['0.5'] * t.modifiers[0])}]'::{t.sql}"
    pattern = _BY_TYPE.get(base)
    if pattern is None:
        return None
    return f"({pattern.format(i=i, n=i + 1, even='true' if i % 2 == 0 else 'false')})::{t.sql}"
