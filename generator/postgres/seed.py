"""Seed rows as idempotent SQL: INSERT … ON CONFLICT (key) DO UPDATE only where a value
differs, in foreign-key order, so re-running the seed changes nothing."""
from __future__ import annotations

import json
from decimal import Decimal

from generator.model import Column, Schema, Seed, Table
from generator.model.naming import quote_ident, quote_literal
from generator.postgres.render import Statement

_PLAIN_TEXT = {"text", "character varying", "character"}


def literal(value, col: Column) -> str:
    """A typed SQL literal for one seed value."""
    t = col.type
    if value is None:
        return "NULL"
    if t.is_array:
        if not value:
            return f"'{{}}'::{t.sql}"
        inner = ", ".join(literal(v, Column(col.name, t.element)) for v in value)
        return f"ARRAY[{inner}]::{t.sql}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if t.base in ("json", "jsonb"):
        return f"{quote_literal(json.dumps(value, ensure_ascii=False, separators=(', ', ': ')))}::{t.base}"
    text = quote_literal(str(value))
    return text if (t.base in _PLAIN_TEXT and not t.enum) else f"{text}::{t.sql}"


def seed_order(schema: Schema) -> list[Seed]:
    """Seeds of referenced tables first."""
    by_table = {(s.schema, s.table): s for s in schema.seeds}
    done, out = set(), []

    def visit(key, stack=()):
        if key in done or key in stack or key not in by_table:
            return
        table = schema.seed_table(key[1], key[0])
        for fk in table.foreign_keys if table else ():
            visit((fk.ref_schema, fk.ref_table), stack + (key,))
        done.add(key)
        out.append(by_table[key])

    for s in schema.seeds:
        visit((s.schema, s.table))
    return out


def seed_statement(table: Table, seed: Seed) -> Statement:
    cols = {c.name: c for c in table.columns}
    names: list[str] = []
    for row in seed.rows:
        for n, _ in row:
            if n not in names:
                names.append(n)
    values = []
    for row in seed.rows:
        got = dict(row)
        values.append("(" + ", ".join(literal(got[n], cols[n]) if n in got else "DEFAULT" for n in names) + ")")
    overriding = any(cols[n].identity == "always" for n in names)
    sql = f"INSERT INTO {table.qname} AS t ({', '.join(quote_ident(n) for n in names)})"
    if overriding:
        sql += "\nOVERRIDING SYSTEM VALUE"
    sql += "\nVALUES\n  " + ",\n  ".join(values)
    sql += f"\nON CONFLICT ({', '.join(quote_ident(k) for k in seed.key)})"
    updates = [n for n in names if n not in seed.key and not cols[n].generated]
    if updates:
        sets = ", ".join(f"{quote_ident(n)} = EXCLUDED.{quote_ident(n)}" for n in updates)
        old = ", ".join(f"t.{quote_ident(n)}" for n in updates)
        new = ", ".join(f"EXCLUDED.{quote_ident(n)}" for n in updates)
        if len(updates) == 1:
            cond = f"{old} IS DISTINCT FROM {new}"
        else:
            cond = f"({old}) IS DISTINCT FROM ({new})"
        sql += f" DO UPDATE SET {sets}\n  WHERE {cond};"
    else:
        sql += " DO NOTHING;"
    return Statement(sql, f"seed {table.name} ({len(seed.rows)} rows)", "seed")


def seed_statements(schema: Schema) -> list[Statement]:
    return [seed_statement(schema.seed_table(s.table, s.schema), s) for s in seed_order(schema)]
