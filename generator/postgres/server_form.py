"""The server's own normal form of a declared model: PostgreSQL deparses each declared default,
generated expression, check, index expression and predicate, policy, trigger condition and view
query (built as temporary objects in a transaction that is rolled back), and those spellings
replace the declared ones. A comparison with an inspected database then never guesses how the
server spells `1e3`, `'t'`, jsonb, `E'...'`, `quantity * unit_price` or `SELECT *`.

What the server cannot build (a type or function missing there, a read-only standby) keeps its
declared spelling, which the pure normalizer (normalize.py) still canonicalizes."""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable

import psycopg

from generator.db.inspect import inspect
from generator.model import Schema, Table, View
from generator.postgres.ddl import schema_statements

TEMP = "pg_temp"
CHUNK = 50          # tables per rolled-back transaction: keeps the locks far below max_locks_per_transaction
_TEMP_SCHEMA = "SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = pg_catalog.pg_my_temp_schema()"


def in_server_form(conn: psycopg.Connection, model: Schema) -> Schema:
    """`model` with every expression spelled as the server at `conn` stores it. Nothing stays
    behind in the database: each batch of temporary objects is rolled back."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return model
    tables = {}
    for start in range(0, len(model.tables), CHUNK):
        tables.update(_tables(conn, model.tables[start:start + CHUNK]))
    views = _views(conn, model.views) if model.views else {}
    return replace(model, tables=tuple(tables.get(t.key, t) for t in model.tables),
                   views=tuple(views.get(v.key, v) for v in model.views))


# ---------------------------------------------------------------- building

def _expressive(i) -> bool:
    return i.where is not None or any(e.expression for e in i.elements)


def _has_expressions(t: Table) -> bool:
    return any(c.default or c.generated for c in t.columns) or bool(t.checks or t.policies) or \
        any(_expressive(i) for i in t.indexes) or any(tr.when for tr in t.triggers)


def _temp_table(t: Table) -> Table:
    """The table as a temporary one holding only what has an expression to deparse: no keys,
    foreign keys (not allowed from a temporary table to a permanent one), grants or comments,
    indexes only with an expression or predicate, policies for PUBLIC (the roles may not exist
    here) and only the triggers whose WHEN the server must deparse."""
    return replace(t, schema=TEMP, primary_key=None, uniques=(), foreign_keys=(), grants=(), comment=None,
                   columns=tuple(replace(c, comment=None) for c in t.columns), rls_enabled=False, rls_forced=False,
                   indexes=tuple(replace(i, comment=None) for i in t.indexes if _expressive(i)),
                   policies=tuple(replace(p, roles=("public",)) for p in t.policies),
                   triggers=tuple(tr for tr in t.triggers if tr.when))


def _script(model: Schema) -> str:
    return "\n".join(st.sql for st in schema_statements(model))


def _build(conn: psycopg.Connection, scripts: list[str]) -> bool:
    """Run the scripts (one round trip) in a savepoint; False (and nothing left) when the server
    refuses any of them."""
    try:
        with conn.transaction():
            conn.execute("\n".join(scripts))
        return True
    except psycopg.Error:
        return False


def _built(conn: psycopg.Connection, items: list, scripts: list[str]) -> list:
    """The items whose scripts the server accepted: all at once when it can, else one by one."""
    if _build(conn, scripts):
        return items
    return [item for item, script in zip(items, scripts) if _build(conn, [script])]


def _temp_schema(conn: psycopg.Connection) -> str | None:
    row = conn.execute(_TEMP_SCHEMA).fetchone()
    return row[0] if row else None


def _rolled_back(conn: psycopg.Connection):
    return conn.transaction(force_rollback=True)


def _tables(conn: psycopg.Connection, tables: Iterable[Table]) -> dict:
    out = {}
    try:
        with _rolled_back(conn):
            conn.execute("SET LOCAL search_path = public")
            tables = [t for t in tables if _has_expressions(t)]
            made = _built(conn, tables, [_script(Schema(name="server_form", tables=(_temp_table(t),)))
                                         for t in tables])
            schema = _temp_schema(conn) if made else None
            if schema:
                got = inspect(conn, (schema,)).tables_by_key
                for t in made:
                    seen = got.get((schema, t.name))
                    if seen is not None:
                        out[t.key] = adopt_table(t, seen)
    except psycopg.Error:
        return {}
    return out


def _views(conn: psycopg.Connection, views: Iterable[View]) -> dict:
    out = {}
    try:
        with _rolled_back(conn):
            conn.execute("SET LOCAL search_path = public")
            views = list(views)
            made = _built(conn, views, [_script(Schema(name="server_form", views=(replace(v, schema=TEMP, grants=()),)))
                                        for v in views])
            schema = _temp_schema(conn) if made else None
            if schema:
                got = {v.name: v for v in inspect(conn, (schema,)).views}
                out = {v.key: replace(v, query=got[v.name].query) for v in made if v.name in got}
    except psycopg.Error:
        return {}
    return out


# ---------------------------------------------------------------- adopting the spellings

def _named(items) -> dict:
    return {x.name: x for x in items}


def adopt_table(declared: Table, seen: Table) -> Table:
    """The declared table with the expression texts of `seen` (the same table as the server
    built it); names, types and everything else stay the declared ones."""
    cols, checks, indexes = _named(seen.columns), _named(seen.checks), _named(seen.indexes)
    policies, triggers = _named(seen.policies), _named(seen.triggers)
    return replace(
        declared,
        columns=tuple(_column(c, cols.get(c.name)) for c in declared.columns),
        checks=tuple(replace(c, expression=checks[c.name].expression) if c.name in checks else c
                     for c in declared.checks),
        indexes=tuple(_index(i, indexes.get(i.name)) for i in declared.indexes),
        policies=tuple(replace(p, using=_keep(p.using, policies[p.name].using),
                               check=_keep(p.check, policies[p.name].check)) if p.name in policies else p
                       for p in declared.policies),
        triggers=tuple(replace(tr, when=_keep(tr.when, triggers[tr.name].when)) if tr.name in triggers else tr
                       for tr in declared.triggers))


def _keep(declared: str | None, seen: str | None) -> str | None:
    """The server's text where both have one (a declared None stays None)."""
    return seen if declared is not None and seen is not None else declared


def _column(c, seen):
    if seen is None:
        return c
    return replace(c, default=_keep(c.default, seen.default), generated=_keep(c.generated, seen.generated))


def _index(i, seen):
    if seen is None or len(seen.elements) != len(i.elements):
        return i
    elements = tuple(replace(e, expression=_keep(e.expression, s.expression) if s.expression else e.expression)
                     for e, s in zip(i.elements, seen.elements))
    return replace(i, elements=elements, where=_keep(i.where, seen.where))
