"""One target of a fleet: its migration history (gen.schema_migrations for a database,
gen.tenant_migrations keyed by schema for a tenant schema), the SQL rewritten for it
({tenant} -> its schema), migrating it under its own advisory lock, its drift against the
snapshot of its version, its invalid indexes, and provisioning it from the spec."""
from __future__ import annotations

import re

import time
from dataclasses import dataclass, field

import psycopg

from generator.db.connect import advisory_lock, connect, lock_key
from generator.db.inspect import inspect
from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.migrate import history, runner
from generator.migrate.files import Migration, MigrationDir
from generator.migrate.fleet.config import Target
from generator.migrate.snapshot import from_json
from generator.migrate.verify import differences, schemas_of
from generator.model import TENANT_PLACEHOLDER, Schema

TENANT_TABLE = f"{history.SCHEMA}.tenant_migrations"
TENANT_CREATE = f"""CREATE SCHEMA IF NOT EXISTS {history.SCHEMA};
CREATE TABLE IF NOT EXISTS {TENANT_TABLE} (
  tenant text NOT NULL,
  version text NOT NULL,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, version)
)"""
# Statements on rows every tenant of a database shares (pg_database, pg_authid): tenants migrated in
# parallel would race on them ("tuple concurrently updated"), so files with them take a lock first.
SHARED = ("ON DATABASE", "ALTER DATABASE", "CREATE ROLE", "ALTER ROLE")
SHARED_LOCK = "gen:fleet:shared"


@dataclass
class Outcome:
    target: Target
    state: str                       # current | migrated | drift | failed | not reached
    version: str | None = None       # newest applied after the run
    applied: list[str] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.state in ("drift", "failed")

    def to_dict(self) -> dict:
        return {**self.target.to_dict(), "state": self.state, "version": self.version, "applied": self.applied,
                "detail": self.detail, "seconds": round(self.seconds, 3)}


def lock_of(t: Target) -> str:
    return f"gen:fleet:{t.schema}" if t.schema else history.LOCK


def for_target(text: str, t: Target) -> str:
    """The script as this target runs it."""
    if TENANT_PLACEHOLDER in text and t.schema is None:
        raise GenError([Diagnostic("MG083", f"{t.name}: the migrations are written for a tenant schema "
                                   f"({TENANT_PLACEHOLDER}) and this target names none", name="fleet.target",
                                   hint="give the target `schema:` (or list it under `schemas:`)")], EXIT_FINDINGS)
    if not t.schema:
        return text
    too_long = sorted({m.group(0).replace(TENANT_PLACEHOLDER, t.schema) for m in _TEMPLATED.finditer(text)
                       if len(m.group(0).replace(TENANT_PLACEHOLDER, t.schema).encode()) > 63})
    if too_long:
        raise GenError([Diagnostic("MG088", f"{t.name}: {too_long[0]!r} is longer than PostgreSQL's 63 bytes once "
                                   f"{TENANT_PLACEHOLDER} is this tenant's name (PostgreSQL would cut it, and two "
                                   "tenants' names could meet)", name="fleet.target",
                                   hint="shorten the tenant schema name, or the names around "
                                   f"{TENANT_PLACEHOLDER} in the spec (roles such as {TENANT_PLACEHOLDER}_app)")],
                       EXIT_FINDINGS)
    return text.replace(TENANT_PLACEHOLDER, t.schema)


_TEMPLATED = re.compile(r"[A-Za-z0-9_$]*" + re.escape(TENANT_PLACEHOLDER) + r"[A-Za-z0-9_$]*")


def ensure_history(conn: psycopg.Connection, t: Target) -> None:
    if t.schema is None:
        history.ensure(conn)
        return
    if conn.execute("SELECT to_regclass(%s) IS NULL", (TENANT_TABLE,)).fetchone()[0]:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('gen:fleet:history'))")
            conn.execute(TENANT_CREATE)


def applied(conn: psycopg.Connection, t: Target) -> dict[str, history.Applied]:
    if t.schema is None:
        return history.applied(conn)
    if conn.execute("SELECT to_regclass(%s) IS NULL", (TENANT_TABLE,)).fetchone()[0]:
        return {}
    rows = conn.execute(f"SELECT version, name, checksum, applied_at FROM {TENANT_TABLE} WHERE tenant = %s "
                        "ORDER BY version", (t.schema,)).fetchall()
    return {r[0]: history.Applied(*r) for r in rows}


def record(conn: psycopg.Connection, t: Target, m: Migration) -> None:
    if t.schema is None:
        history.record(conn, m, m.up_checksum())
    else:
        conn.execute(f"INSERT INTO {TENANT_TABLE} (tenant, version, name, checksum) VALUES (%s, %s, %s, %s)",
                     (t.schema, m.version, m.name, m.up_checksum()))


def model_at(d: MigrationDir, version: str, t: Target) -> Schema | None:
    """The schema this target should have at `version`: the newest snapshot up to it."""
    for m in reversed([m for m in d.migrations() if m.version <= version]):
        for p in d.files_of(m.version):
            if p.name.endswith(".snapshot.json"):
                return from_json(for_target(p.read_text(encoding="utf-8"), t), str(p))
    return None


def drift(t: Target, d: MigrationDir, version: str | None) -> list[str]:
    """What differs between the target and the snapshot of its version (none applied: nothing)."""
    model = model_at(d, version, t) if version else None
    if model is None:
        return []
    return differences(inspect(t.url, (t.schema,) if t.schema else schemas_of(model)), model)


def invalid_indexes(conn: psycopg.Connection, t: Target) -> list[str]:
    where = "n.nspname = %s" if t.schema else "n.nspname NOT IN ('pg_catalog', 'information_schema')"
    rows = conn.execute("SELECT n.nspname || '.' || c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid AND {where} ORDER BY 1",
                        (t.schema,) if t.schema else ()).fetchall()
    return [r[0] for r in rows]


def migrate(t: Target, d: MigrationDir, drift_check: bool = True) -> Outcome:
    """Apply this target's pending migrations, each in its transaction with its history row
    (so a killed or failed run leaves every file applied once or not at all)."""
    start, out = time.monotonic(), Outcome(t, "current")
    try:
        with connect(t.url, autocommit=True) as conn, advisory_lock(conn, lock_of(t)):
            ensure_history(conn, t)
            done = applied(conn, t)
            pending = history.check(d, done)
            out.version = max(done, default=None)
            if pending and drift_check:
                out.detail = drift(t, d, out.version)
                if out.detail:
                    out.state = "drift"
                    return out
            for m in pending:
                _apply(conn, t, m)
                out.applied.append(m.version)
                out.version = m.version
            out.state = "migrated" if out.applied else "current"
    except GenError as e:
        out.state, out.detail = "failed", [d.message for d in e.diagnostics]
    except psycopg.Error as e:
        out.state, out.detail = "failed", [str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__]
    finally:
        out.seconds = time.monotonic() - start
    return out


def _apply(conn: psycopg.Connection, t: Target, m: Migration) -> None:
    text = for_target(m.up_text(), t)
    if any(word in text for word in SHARED):       # objects of the whole database or cluster: one at a time
        text = f"SELECT pg_advisory_xact_lock({lock_key(SHARED_LOCK)});\n" + text
    runner.run_file(conn, m, text, lambda: record(conn, t, m))
