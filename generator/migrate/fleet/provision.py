"""`gen fleet add`: a new tenant created at the newest migration from the spec's full schema
(not by replaying history), its history rows written in the same transaction, refused when
the spec is ahead of the migrations or the tenant already exists."""
from __future__ import annotations

import time

from generator.db.connect import advisory_lock, connect, lock_key
from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.migrate.files import MigrationDir
from generator.migrate.fleet.config import Target
from generator.migrate.fleet.target import SHARED_LOCK, Outcome, applied, ensure_history, for_target, lock_of, record
from generator.migrate.verify import differences
from generator.model import Schema
from generator.postgres.ddl import schema_statements


def _refuse(code: str, message: str, hint: str) -> GenError:
    return GenError([Diagnostic(code, message, name="fleet.add", hint=hint)], EXIT_FINDINGS)


def provision(t: Target, d: MigrationDir, model: Schema) -> Outcome:
    d.check_sum()
    migrations = d.migrations()
    last = d.last_snapshot()
    if not migrations or last is None:
        raise _refuse("MG084", f"no migrations in {d.path}: a tenant is provisioned at the newest one",
                      "write the first with `gen migrate new init --spec SPEC`")
    ahead = differences(last[1], model)
    if ahead:
        raise _refuse("MG084", f"the spec has changes no migration carries yet ({'; '.join(ahead[:3])}"
                      f"{' ...' if len(ahead) > 3 else ''}): the new tenant would not match the others",
                      "write the migration first (`gen migrate new NAME --spec SPEC`) and roll it out")
    start = time.monotonic()
    with connect(t.url, autocommit=True) as conn, advisory_lock(conn, lock_of(t)):
        ensure_history(conn, t)
        done = applied(conn, t)
        exists = t.schema and conn.execute("SELECT to_regnamespace(%s) IS NOT NULL", (t.schema,)).fetchone()[0]
        if done or exists:
            raise _refuse("MG085", f"{t.name} already exists" + (f" (at version {max(done)})" if done else ""),
                          "`gen fleet up` migrates existing tenants; add creates new ones")
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(SHARED_LOCK),))
            for s in schema_statements(model):
                conn.execute(for_target(s.sql, t))
            for m in migrations:
                record(conn, t, m)
    return Outcome(t, "added", migrations[-1].version, [m.version for m in migrations],
                   seconds=time.monotonic() - start)
