"""What the database comparison of tests/test_orm_targets.py looks at (tables, columns, keys,
indexes, checks, policies) and the small helpers that prepare and apply DDL."""
from __future__ import annotations

import psycopg

from generator.model import DataType, Index, Schema


def _type(dt: DataType) -> str:
    return dt.element.sql + ("[]" if dt.is_array else "")


def _plain_unique(ix: Index) -> bool:
    return ix.unique and not ix.where and all(e.column for e in ix.elements)


def shape(schema: Schema, listed: set[tuple[str, str]] = frozenset(), with_checks: bool = True) -> dict:
    """What the comparison looks at, minus the objects listed as gaps."""
    out = {"enums": {e.key: e.values for e in schema.enums}}
    for t in schema.tables:
        q = t.qname

        def keep(kind, name):
            return (kind, f"{q}.{name}") not in listed
        out[t.key] = {
            "columns": {c.name: (_type(c.type), c.nullable or ("not null", f"{q}.{c.name}") in listed)
                        for c in t.columns},
            "defaults": {c.name: (c.default is not None,
                                  None if ("identity", f"{q}.{c.name}") in listed else c.identity,
                                  bool(c.generated) and ("generated column", f"{q}.{c.name}") not in listed)
                         for c in t.columns},
            "pk": (t.primary_key.name, t.primary_key.columns) if t.primary_key else None,
            "fks": {fk.name: (fk.columns, fk.ref_schema, fk.ref_table, fk.ref_columns, fk.on_delete, fk.on_update)
                    for fk in t.foreign_keys if keep("foreign key", fk.name)},
            "uniques": {u.name: u.columns for u in t.uniques if keep("unique", u.name)}
            | {ix.name: ix.columns for ix in t.indexes if _plain_unique(ix) and keep("index", ix.name)},
            "indexes": {ix.name: (ix.method, ix.columns, len(ix.elements), ix.unique, bool(ix.where))
                        for ix in t.indexes if not _plain_unique(ix) and keep("index", ix.name)},
            "checks": {c.name for c in t.checks if keep("check", c.name)} if with_checks else set(),
            "policies": {p.name: (p.command, p.permissive) for p in t.policies if keep("policy", p.name)},
            "rls": t.rls_enabled and ("row level security", q) not in listed,
        }
    return out


def prepare(url: str, schema: Schema, extensions: bool) -> None:
    """Create what the ORM leaves to schema.sql and its DDL depends on: roles, extensions."""
    with psycopg.connect(url, autocommit=True) as conn:
        for role in schema.roles:
            conn.execute(f"DO $$ BEGIN CREATE ROLE {role.name}; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        for ext in schema.extensions if extensions else ():
            conn.execute(f'CREATE EXTENSION IF NOT EXISTS "{ext.name}"')


def apply(url: str, statements: list[str]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            if statement.strip():
                conn.execute(statement)

