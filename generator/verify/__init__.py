"""`gen verify`: apply a spec to a scratch database (on a given server, or an embedded one
started for the run) and prove it there: synced, constraints behave, RLS holds against
attacks made as the application's own roles, and realtime tables publish their changes."""
from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import Callable, Iterator

from generator.db.apply import apply_statements
from generator.db.connect import connect, describe
from generator.db.server import scratch_database
from generator.diagnostics import EXIT_ENVIRONMENT, Diagnostic, GenError
from generator.model import Schema
from generator.postgres.ddl import schema_statements
from generator.postgres.seed import seed_statements
from generator.postgres.shim import SUPABASE_SHIM
from generator.verify.constraints import check_constraints
from generator.verify.parallel import jobs_for, prove
from generator.verify.realtime import check_realtime, realtime_tables
from generator.verify.report import Report
from generator.verify.rls import check_rls
from generator.verify.session import Session
from generator.verify.sync import check_synced

Progress = Callable[[str], None]


CITUS_SKIP = "SET gen.citus = 'skip';"


def statements(schema: Schema, seed: bool = True) -> list:
    """What `gen apply` runs: the full DDL (a plan from the empty model), then the seed. A
    Citus schema is proven on plain PostgreSQL with its distribution calls skipped."""
    from generator.postgres.render import Statement
    out = list(schema_statements(schema))
    if schema.settings.citus:
        out.insert(0, Statement(CITUS_SKIP, "Citus calls skipped: the scratch server is plain PostgreSQL", "session"))
    return out + (seed_statements(schema) if seed else [])


def shim_for(schema: Schema) -> str | None:
    return SUPABASE_SHIM if schema.settings.flavor == "supabase" else None


@contextmanager
def _server(database_url: str | None, schema: Schema | None = None, choice: str | None = None,
            logical: bool = False) -> Iterator[str]:
    """--database-url, else the --server choice (auto: one with the spec's extensions);
    `logical`: started with wal_level=logical (realtime proofs). A server started here lives on
    tmpfs when that has room_for the spec (creating each table's files there costs a fraction of
    a disk file system's: `gen verify` of 500 tables ~20 s against ~33 s)."""
    from generator.db.server import room_for, server
    wanted = {e.name for e in schema.extensions} if schema is not None else set()
    room = room_for(len(schema.tables) if schema is not None else 0)
    with (nullcontext(database_url) if database_url else
          server(choice, wanted, logical, in_memory=True, room=room)) as base:
        yield base


def _require_superuser(url: str) -> None:
    with connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if not (row and row[0]):
        raise GenError([Diagnostic(
            "VF001", f"gen verify needs a superuser connection; {describe(url)} is not one",
            name="verify.connect", hint="verify creates a scratch database and roles and builds rows past RLS; "
                                        "point --scratch-url (or GEN_SCRATCH_DATABASE_URL) at a throw-away "
                                        "server, or leave it out")],
            EXIT_ENVIRONMENT)


def _require_extensions(url: str, schema: Schema, embedded: bool) -> None:
    """A spec's extensions must be installable on the server, else it is the environment that
    is short, not the spec."""
    wanted = sorted({e.name for e in schema.extensions})
    if not wanted:
        return
    with connect(url, autocommit=True) as conn:
        have = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions WHERE name = ANY(%s)",
                                           (wanted,)).fetchall()}
    missing = [w for w in wanted if w not in have]
    if missing:
        where = "the embedded PostgreSQL (pgserver: PostgreSQL 16 with pgvector)" if embedded else describe(url)
        raise GenError([Diagnostic(
            "VF002", f"extension(s) {', '.join(missing)} not available on {where}", name="verify.extensions",
            hint=f"run with --server pg15 (Debian's PostgreSQL with contrib) or --server postgresql://... a "
                 f"server that has {', '.join(missing)}")],
            EXIT_ENVIRONMENT)


def verify(schema: Schema, spec: str = "", database_url: str | None = None,
           progress: Progress | None = None, only: set[tuple[str, str]] | None = None,
           server: str | None = None, jobs: int | None = 1) -> Report:
    """Apply `schema` to a scratch database and run every proof; the database is dropped
    afterwards (and the embedded server removed when we started it). `only` (table keys)
    limits the constraint proofs and the attacks to those tables (their fixture rows still get
    the parents they need; the synced comparison always covers the whole schema). `jobs`:
    worker processes for the per-table proofs (None: one per CPU when the schema is large
    enough to pay for them; see verify/parallel.py), with the same results in the same order."""
    say = progress or (lambda _msg: None)
    report = Report(spec or schema.name)
    say("starting PostgreSQL" if not database_url else f"using {describe(database_url)}")
    with _server(database_url, schema, server, logical=bool(realtime_tables(schema))) as base:
        _require_superuser(base)
        _require_extensions(base, schema, embedded=not database_url)
        report.server = describe(base) if database_url else "embedded PostgreSQL (removed afterwards)"
        with scratch_database(base, prefix="gen_verify_") as url:
            say("applying schema" + (" and seed" if schema.seeds else ""))
            apply_statements(url, statements(schema), shim_for(schema), chunked=True)
            say("comparing the database with the spec")
            workers = jobs_for(jobs, sum(1 for t in schema.tables if only is None or t.key in only))
            if workers > 1:      # the comparison beside the constraint proofs (it only reads)
                report.results += prove(base, url, schema, only, workers, say, lambda: check_synced(schema, url))
                return report
            report.results += check_synced(schema, url)
            with connect(url, autocommit=True, factory=Session) as conn:
                say("proving constraints")
                report.results += check_constraints(conn, schema, only)
                say("attacking row-level security")
                report.results += check_rls(conn, url, schema, only)
                if realtime_tables(schema, only):
                    say("observing realtime changes through logical decoding")
                    report.results += check_realtime(conn, url, schema, only)
    return report
