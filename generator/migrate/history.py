"""The history table (gen.schema_migrations: version, name, checksum, applied_at) and the
checks that stop a run before it starts: gen.sum, edited or deleted applied files, and
migrations older than the newest applied one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.migrate.files import Migration, MigrationDir

SCHEMA = "gen"
TABLE = f"{SCHEMA}.schema_migrations"
LOCK = "gen:migrate"

CREATE = f"""CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {TABLE} (
  version text PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)"""


@dataclass(frozen=True)
class Applied:
    version: str
    name: str
    checksum: str
    applied_at: datetime


def ensure(conn: psycopg.Connection) -> None:
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,)).fetchone()[0]
    if not exists:
        with conn.transaction():
            conn.execute(CREATE)


def applied(conn: psycopg.Connection) -> dict[str, Applied]:
    if not conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,)).fetchone()[0]:
        return {}
    rows = conn.execute(f"SELECT version, name, checksum, applied_at FROM {TABLE} ORDER BY version").fetchall()
    return {r[0]: Applied(*r) for r in rows}


def record(conn: psycopg.Connection, m: Migration, checksum: str) -> None:
    conn.execute(f"INSERT INTO {TABLE} (version, name, checksum) VALUES (%s, %s, %s)", (m.version, m.name, checksum))


def forget(conn: psycopg.Connection, version: str) -> None:
    conn.execute(f"DELETE FROM {TABLE} WHERE version = %s", (version,))


def _stop(code: str, message: str, hint: str) -> GenError:
    return GenError([Diagnostic(code, message, name="migrate.history", hint=hint)], EXIT_FINDINGS)


def check(d: MigrationDir, done: dict[str, Applied]) -> list[Migration]:
    """Verify the directory against the history; returns the pending migrations in order."""
    d.check_sum()
    files = {m.version: m for m in d.migrations()}
    for version, row in done.items():
        m = files.get(version)
        if m is None:
            raise _stop("MG012", f"migration {row.name} was applied (checksum {row.checksum}) but "
                        f"{d.up_path(row.name)} is gone",
                        "restore the file from version control; applied migrations are never deleted")
        now = m.up_checksum()
        if now != row.checksum:
            raise _stop("MG011", f"{m.up} was edited after it was applied: applied with checksum {row.checksum}, "
                        f"the file now has {now}",
                        "restore the applied version; to change the schema, write a new migration")
    pending = [m for v, m in sorted(files.items()) if v not in done]
    newest = max(done, default=None)
    late = [m for m in pending if newest is not None and m.version < newest]
    if late:
        raise _stop("MG013", f"{late[0].up} is older than the newest applied migration ({done[newest].name}) "
                    "but was never applied", "regenerate it after the applied ones: delete it (and its down, "
                    "snapshot) and run `gen migrate new` again on top of the current history")
    return pending
