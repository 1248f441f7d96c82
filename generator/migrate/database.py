"""Commands on one live database besides migrations: apply (the whole schema to a database
that has none of it; a no-op on one already equal to the spec), drift (live schema vs spec),
seed (the spec's idempotent upserts) and reset (drop and recreate the schemas, migrate, seed),
which refuses anything that looks like production unless told explicitly."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from generator.db.apply import ApplyResult, apply_statements, drop_tables
from generator.db.connect import advisory_lock, connect
from generator.db.inspect import inspect
from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.migrate import concurrent, history, protect, runner
from generator.migrate.files import MigrationDir, as_dir
from generator.migrate.verify import live_differences, prepare, schemas_of
from generator.model import Schema
from generator.model.naming import qualified, quote_ident
from generator.postgres.shim import SUPABASE_SHIM

TABLES_IN = """SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s)
  AND NOT c.relispartition ORDER BY 1"""


@dataclass
class Applied:
    result: ApplyResult | None = None     # None: the database already equals the spec
    seeded_rows: int = 0


def _present(url: str, model: Schema) -> bool:
    """Whether the database holds any table, enum, view or function of the spec."""
    live = inspect(url, schemas_of(model))
    mine = {t.key for t in model.tables} | {e.key for e in model.enums} | {v.key for v in model.views} | \
        {(f.schema, f.name) for f in model.functions}
    theirs = {t.key for t in live.tables} | {e.key for e in live.enums} | {v.key for v in live.views} | \
        {(f.schema, f.name) for f in live.functions}
    return bool(mine & theirs)


def apply_schema(url: str, model: Schema, seed_rows: bool = True) -> Applied:
    """The whole schema on a database that has none of it (in one transaction when it fits the
    lock table, else in steps whose work is undone if a later one fails); nothing on a
    database already equal to the spec; refused (AP003) on one holding a different version."""
    from generator.postgres.ddl import schema_statements
    if _present(url, model):
        lines = live_differences(url, model)
        if lines:
            raise GenError([Diagnostic("AP003", "the database already holds part of this schema, and it differs: "
                                       + "; ".join(lines[:10]) + (f" (and {len(lines) - 10} more)"
                                                                  if len(lines) > 10 else ""), name="apply.present",
                                       hint="apply creates a schema from nothing; evolve an existing one with "
                                            "`gen push` (development) or `gen migrate` (shared databases)")],
                           EXIT_FINDINGS)
        return Applied(None, seed(url, model)[1] if seed_rows else 0)
    shim = SUPABASE_SHIM if model.settings.flavor == "supabase" else None
    result = apply_statements(url, schema_statements(model), shim, chunked=True,
                              undo=lambda conn: _undo(conn, model))
    return Applied(result, seed(url, model)[1] if seed_rows else 0)


def _undo(conn: psycopg.Connection, model: Schema) -> None:
    """Drop what an interrupted chunked apply created (none of it existed before)."""
    for v in reversed(model.views):
        conn.execute(f"DROP VIEW IF EXISTS {v.qname} CASCADE")
    drop_tables(conn, [t.qname for t in model.tables])
    for f in model.functions:
        conn.execute(f"DROP FUNCTION IF EXISTS {f.qname}({f.args}) CASCADE")
    for e in model.enums:
        conn.execute(f"DROP TYPE IF EXISTS {e.qname} CASCADE")



def drift(url: str, model: Schema) -> list[str]:
    """What differs between the live database and the spec (empty when in sync), and every
    INVALID index (a concurrent build that failed or was cancelled) in the spec's schemas."""
    lines = live_differences(url, model)
    with connect(url, autocommit=True) as conn:
        invalid = concurrent.invalid_indexes(conn, schemas_of(model))
    return lines + [f"rebuild INVALID index {qualified(s, i)} on {t} (a failed concurrent build: "
                    "`gen migrate up` drops and rebuilds it)" for s, i, t in invalid]


def seed(url: str, model: Schema) -> tuple[int, int]:
    """Upsert the spec's seed rows; returns (tables seeded, rows inserted or updated). Rows that
    already hold the seed's values are not touched, so a second run changes 0 rows."""
    from generator.postgres.seed import seed_statements
    statements = seed_statements(model)
    if not statements:
        return 0, 0
    return len(statements), apply_statements(url, statements, lock="gen:seed").rows


@dataclass
class ResetResult:
    migrated: list[str] = field(default_factory=list)
    applied_schema: bool = False
    seeded: int = 0
    seeded_rows: int = 0


def reset(url: str, model: Schema, directory: "str | Path | MigrationDir",
          i_know_production: bool = False) -> ResetResult:
    protect.refuse_production(url, model, "reset", i_know_production)
    _drop_schemas(url, model)
    result = ResetResult()
    d = as_dir(directory)
    if d.exists():
        prepare(url, model)
        result.migrated = [m.name for m in runner.up(url, d).done]
    else:
        from generator.postgres.ddl import schema_statements
        shim = SUPABASE_SHIM if model.settings.flavor == "supabase" else None
        apply_statements(url, schema_statements(model), shim=shim, chunked=True)
        result.applied_schema = True
    result.seeded, result.seeded_rows = seed(url, model)
    return result


def _drop_schemas(url: str, model: Schema) -> None:
    """Drop the spec's schemas (public recreated empty, as PostgreSQL 15+ creates it) and
    gen's migration history: the tables first in batches (thousands of them would not fit the
    lock table of one transaction), then the schemas in one transaction."""
    names = list(dict.fromkeys(schemas_of(model) + (history.SCHEMA,)))
    with connect(url, autocommit=True) as conn, advisory_lock(conn, history.LOCK):
        drop_tables(conn, [r[0] for r in conn.execute(TABLES_IN, (names,)).fetchall()])
        with conn.transaction():
            for name in names:
                conn.execute(f"DROP SCHEMA IF EXISTS {quote_ident(name)} CASCADE")
            conn.execute("CREATE SCHEMA public")
            conn.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
