"""`gen migrate verify`: replay every migration on a scratch database (an embedded server
unless a server URL is given), then check that the result inspects equal to the last
snapshot and to the spec, that the downs return to an empty schema and up works again."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from generator.db.connect import connect
from generator.db.inspect import inspect
from generator.db.server import scratch_database
from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.diff import diff
from generator.migrate import runner
from generator.migrate.files import IRREVERSIBLE, MigrationDir, as_dir
from generator.model import Schema
from generator.postgres.normalize import normalize
from generator.postgres.plan import plan
from generator.postgres.server_form import in_server_form
from generator.postgres.unmanaged import without_unmanaged


@dataclass
class Verified:
    migrations: int
    checks: list[str] = field(default_factory=list)


def differences(live: Schema, wanted: Schema) -> list[str]:
    """What would have to run to turn `live` into `wanted`, one line per statement."""
    changes = diff(normalize(without_unmanaged(live, wanted)), normalize(wanted))
    return [s.comment for s in plan(changes).statements] if changes else []


def schemas_of(model: Schema) -> tuple[str, ...]:
    return ("public",) + tuple(s for s in model.schemas if s != "public")


def live_differences(url: str, wanted: Schema, schemas: tuple[str, ...] | None = None) -> list[str]:
    """What differs between the database at `url` and `wanted`, compared in the server's own
    spelling of every expression (so a default PostgreSQL rewrites never shows as drift)."""
    with connect(url, autocommit=True) as conn:
        live = inspect(conn, schemas or schemas_of(wanted))
        return differences(live, in_server_form(conn, wanted))


@contextmanager
def scratch_server(base_url: str | None, model: Schema | None = None, choice: str | None = None) -> Iterator[str]:
    """--scratch-url (or --database-url), else the --server choice (auto: one with the spec's
    extensions), started on tmpfs when that has room for it (as gen verify's)."""
    if base_url:
        yield base_url
        return
    from generator.db.server import room_for, server
    with server(choice, {e.name for e in model.extensions} if model is not None else set(), in_memory=True,
                room=room_for(len(model.tables) if model is not None else 0)) as url:
        yield url


def prepare(url: str, model: Schema) -> None:
    """Supabase-flavoured specs need auth.uid() and the roles: add the shim when missing."""
    if model.settings.flavor != "supabase":
        return
    from generator.db.apply import needs_shim, without_transaction
    from generator.postgres.shim import SUPABASE_SHIM
    with connect(url, autocommit=True) as conn:
        if needs_shim(conn):
            with conn.transaction():
                conn.execute(without_transaction(SUPABASE_SHIM))


def verify(model: Schema, directory: "str | Path | MigrationDir", base_url: str | None = None,
           roundtrip: bool = True, server: str | None = None) -> Verified:
    d = as_dir(directory)
    d.check_sum()
    found = d.last_snapshot()
    if found is None:
        raise GenError([Diagnostic("MG017", f"no migrations in {d.path}", name="migrate.dir",
                                   hint="write the first with `gen migrate new init --spec SPEC`")], EXIT_FINDINGS)
    snap_path, snapshot = found
    result = Verified(len(d.migrations()))
    schemas = tuple(dict.fromkeys(schemas_of(model) + schemas_of(snapshot)))
    problems: list[Diagnostic] = []
    with scratch_server(base_url, model, server) as base, scratch_database(base, prefix="gen_verify_") as url:
        prepare(url, model)
        runner.up(url, d)
        problems += _compare("MG020", url, schemas, snapshot, f"the last snapshot ({snap_path.name})")
        problems += _compare("MG021", url, schemas, model, "the spec",
                             "the spec has changes no migration holds: run `gen migrate new NAME --spec SPEC`")
        result.checks.append(f"replayed {result.migrations} migrations; compared with {snap_path.name} and the spec")
        if roundtrip and not problems:
            result.checks += _roundtrip(url, d, schemas, snapshot, problems)
    if problems:
        raise GenError(problems, EXIT_FINDINGS)
    return result


def _compare(code: str, url: str, schemas, wanted: Schema, what: str, hint: str = "") -> list[Diagnostic]:
    lines = live_differences(url, wanted, schemas)
    if not lines:
        return []
    return [Diagnostic(code, f"the replayed database differs from {what}: " + "; ".join(lines[:20])
                       + (f" (and {len(lines) - 20} more)" if len(lines) > 20 else ""), name="migrate.verify",
                       hint=hint or "a migration file does not produce its snapshot: regenerate it")]


def _roundtrip(url: str, d: MigrationDir, schemas, snapshot: Schema, problems: list[Diagnostic]) -> list[str]:
    """down to nothing, then up again: both ends must inspect as expected."""
    blocked = [m for m in d.migrations() if m.down and m.down.read_text().startswith(IRREVERSIBLE)]
    if blocked:
        return [f"down not tried: {blocked[-1].down.name} is irreversible"]
    runner.down(url, d, len(d.migrations()))
    problems += _compare("MG022", url, schemas, Schema.empty(), "an empty schema after every down",
                         "a down script leaves something behind")
    runner.up(url, d)
    problems += _compare("MG022", url, schemas, snapshot, "the snapshot after down and up again",
                         "a down script does not undo its up exactly")
    return ["down to empty and up again"]
