"""Commands on one live database besides migrations: drift (live schema vs spec), seed (the
spec's idempotent upserts) and reset (drop and recreate the schemas, migrate, seed), which
refuses anything that looks like production unless told explicitly."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from generator.db.apply import apply_statements
from generator.db.connect import advisory_lock, connect, describe
from generator.db.inspect import inspect
from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.migrate import concurrent, history, runner
from generator.migrate.files import MigrationDir, as_dir
from generator.migrate.verify import live_differences, prepare, schemas_of
from generator.model import Schema
from generator.model.naming import qualified, quote_ident

PRODUCTION_ENVS = ("production", "prod", "live")


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


def production_reasons(url: str, model: Schema, env: dict | None = None) -> list[str]:
    env = os.environ if env is None else env
    out = []
    if env.get("GEN_ENV", "").strip().lower() in PRODUCTION_ENVS:
        out.append(f"GEN_ENV={env['GEN_ENV']}")
    info = conninfo_to_dict(url)
    for key in ("host", "dbname"):
        value = info.get(key) or ""
        for pattern in model.settings.protected:
            if value and fnmatchcase(value.lower(), pattern.lower()):
                out.append(f"{key} '{value}' matches database.protected pattern '{pattern}'")
    return out


@dataclass
class ResetResult:
    migrated: list[str] = field(default_factory=list)
    applied_schema: bool = False
    seeded: int = 0
    seeded_rows: int = 0


def reset(url: str, model: Schema, directory: "str | Path | MigrationDir", i_know_production: bool = False) -> ResetResult:
    reasons = production_reasons(url, model)
    if reasons and not i_know_production:
        raise GenError([Diagnostic("MG040", f"refusing to reset {describe(url)}: looks like production ("
                                   + "; ".join(reasons) + ")", name="migrate.reset",
                                   hint="reset drops every table; if you really mean it pass "
                                        "--i-know-this-is-production")], EXIT_FINDINGS)
    _drop_schemas(url, model)
    result = ResetResult()
    d = as_dir(directory)
    if d.exists():
        prepare(url, model)
        result.migrated = [m.name for m in runner.up(url, d).done]
    else:
        from generator.postgres.ddl import schema_statements
        from generator.postgres.shim import SUPABASE_SHIM
        shim = SUPABASE_SHIM if model.settings.flavor == "supabase" else None
        apply_statements(url, schema_statements(model), shim=shim)
        result.applied_schema = True
    result.seeded, result.seeded_rows = seed(url, model)
    return result


def _drop_schemas(url: str, model: Schema) -> None:
    """Drop the spec's schemas (public recreated empty, as PostgreSQL 15+ creates it) and
    gen's migration history, in one transaction."""
    names = list(dict.fromkeys(schemas_of(model) + (history.SCHEMA,)))
    with connect(url, autocommit=True) as conn, advisory_lock(conn, history.LOCK):
        with conn.transaction():
            for name in names:
                conn.execute(f"DROP SCHEMA IF EXISTS {quote_ident(name)} CASCADE")
            conn.execute("CREATE SCHEMA public")
            conn.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
