"""Apply and revert migrations on a live database under a session advisory lock: each file in
its own transaction together with its history row (files marked no-transaction run one
statement at a time), so a failing statement leaves the database and history as they were."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path
from typing import Callable

import psycopg

from generator.db.connect import advisory_lock, connect
from generator.diagnostics import EXIT_BAD_INPUT, EXIT_FINDINGS, Diagnostic, GenError
from generator.migrate import concurrent, datacheck, fingerprint, history, squash
from generator.db.apply import needs_shim, without_transaction
from generator.migrate.files import (DATA_NOT_RESTORED, IRREVERSIBLE, SUPABASE_FLAVOR, Migration, MigrationDir, as_dir,
                                     checksum)
from generator.postgres.shim import SUPABASE_SHIM
from generator.migrate.sqlsplit import describe, split_statements

Progress = Callable[[str], None]


@dataclass
class Status:
    migration: Migration
    applied: history.Applied | None

    @property
    def state(self) -> str:
        return "applied" if self.applied else "pending"

    @property
    def checksum(self) -> str:
        """The recorded checksum when applied (check() proved the file still matches), else the file's."""
        return self.applied.checksum if self.applied else self.migration.up_checksum()

    @property
    def applied_at(self) -> str:
        return self.applied.applied_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") \
            if self.applied else "-"


@dataclass
class RunResult:
    done: list[Migration] = field(default_factory=list)


def _body(text: str) -> list[str]:
    """The statements to run: the script minus its own BEGIN/COMMIT (the runner owns those)."""
    return [s for s in split_statements(text) if s.upper() not in ("BEGIN", "COMMIT")]


def _fail(path: Path, statement: str, exc: psycopg.Error, transactional: bool, blockers: str | None = None) -> GenError:
    detail = (exc.diag.message_primary if exc.diag and exc.diag.message_primary else str(exc)).strip()
    if blockers:
        detail += f": {blockers}"
    kept = ("the database and history are unchanged (the file ran in one transaction)" if transactional else
            "statements before it stay applied (no-transaction file); fix the cause and run again, it is "
            "safe to re-run; a failed CREATE INDEX CONCURRENTLY leaves an INVALID index to drop first")
    return GenError([Diagnostic("MG014", f"{path}: statement failed: {describe(statement)}: {detail}",
                                name="migrate.apply", hint=kept)], EXIT_FINDINGS)


def _run(conn: psycopg.Connection, path: Path, text: str, transactional: bool, bookkeeping,
         progress: Progress = lambda _: None) -> None:
    statements = _body(text)
    if transactional:
        with conn.transaction():            # a GenError from a statement rolls it all back
            for st in statements:
                if datacheck.checked_by(st):
                    _checked(conn, path, st)
                else:
                    _execute(conn, path, st, True)
            bookkeeping()
        return
    for st in statements:
        _outside_transaction(conn, path, st, progress)
    bookkeeping()


BLOCKED = (psycopg.errors.NotNullViolation, psycopg.errors.UniqueViolation)


def _checked(conn: psycopg.Connection, path: Path, statement: str) -> None:
    """A NOT NULL, UNIQUE or PRIMARY KEY in a savepoint: when rows block it, the error names them."""
    try:
        with conn.transaction():
            conn.execute(statement)
    except BLOCKED as exc:
        raise _fail(path, statement, exc, True, datacheck.blockers(conn, statement)) from None
    except psycopg.Error as exc:
        raise _fail(path, statement, exc, True) from None


def _outside_transaction(conn: psycopg.Connection, path: Path, statement: str, progress: Progress) -> None:
    """One statement of a no-transaction file. A concurrent index build first drops the INVALID
    index an earlier failed build left (IF NOT EXISTS would skip it), and must end VALID."""
    build = concurrent.build_of(statement)
    if build is not None:
        try:
            dropped = concurrent.clear_invalid(conn, build)
        except psycopg.Error as exc:
            raise _fail(path, statement, exc, False) from None
        if dropped:
            progress(f"dropped INVALID index {dropped} left by an earlier failed build; building it again")
    try:
        conn.execute(statement)
    except BLOCKED as exc:
        raise _fail(path, statement, exc, False, datacheck.blockers(conn, statement)) from None
    except psycopg.Error as exc:
        raise _fail(path, statement, exc, False) from None
    if build is not None and not concurrent.validity(conn, build):
        raise GenError([Diagnostic("MG014", f"{path}: index {build.index} is not VALID after "
                                   f"{describe(statement)}", name="migrate.apply",
                                   hint="run `gen migrate up` again: it drops the INVALID index and builds it again")],
                       EXIT_FINDINGS)


def session(conn: psycopg.Connection) -> None:
    """Our session notices a vanished client (PostgreSQL 14+), so a killed run stops and frees
    the lock within seconds instead of finishing its statement for nobody."""
    if conn.info.server_version >= 140000:
        conn.execute("SET client_connection_check_interval = '2s'")


def run_file(conn: psycopg.Connection, m: Migration, text: str, bookkeeping) -> None:
    """Run one migration's up script (already read, maybe rewritten for a tenant) on `conn` as
    `up` does: in one transaction with `bookkeeping` unless the file is marked no-transaction."""
    _run(conn, m.up, text, m.transactional(text), bookkeeping)


def _execute(conn: psycopg.Connection, path: Path, statement: str, transactional: bool) -> None:
    try:
        conn.execute(statement)
    except psycopg.Error as exc:
        raise _fail(path, statement, exc, transactional) from None


def up(url: str, directory: "str | Path | MigrationDir", count: int | None = None, progress: Progress = lambda _: None,
       expect: tuple[str, tuple[str, ...]] | None = None) -> RunResult:
    """Apply the pending migrations (all, or the next `count`). `expect` = (fingerprint,
    schemas): refuse (MG062) unless the target still has that fingerprint, checked under the
    lock, right before anything runs."""
    d, result = as_dir(directory), RunResult()
    _require(d)
    with connect(url, autocommit=True) as conn, advisory_lock(conn, history.LOCK, progress):
        session(conn)
        done = _reconciled(conn, d, progress)
        pending = history.check(d, done)
        if expect is not None:
            fingerprint.refuse_changed(expect[0], fingerprint.of_database(conn, expect[1], done, pending))
        history.ensure(conn)
        if any(SUPABASE_FLAVOR in m.head() for m in pending) and needs_shim(conn):
            progress("plain PostgreSQL: adding the Supabase shim (auth schema and roles) first")
            with conn.transaction():
                conn.execute(without_transaction(SUPABASE_SHIM))
        for m in pending[:count] if count is not None else pending:
            text = m.up_text()
            progress(f"applying {m.name}")
            _run(conn, m.up, text, m.transactional(text),
                 lambda m=m, t=text: history.record(conn, m, checksum(t.encode("utf-8"))), progress)
            result.done.append(m)
    return result


def down(url: str, directory: "str | Path | MigrationDir", count: int = 1, progress: Progress = lambda _: None,
         allow_destructive: bool = False) -> RunResult:
    """Revert the last `count` migrations with their down scripts. A down script that would
    drop a table or column holding data is refused (MG041) unless `allow_destructive`."""
    d, result = as_dir(directory), RunResult()
    _require(d)
    with connect(url, autocommit=True) as conn, advisory_lock(conn, history.LOCK, progress):
        session(conn)
        done = _reconciled(conn, d, progress)
        history.check(d, done)
        files = {m.version: m for m in d.migrations()}
        targets = [files[v] for v in sorted(done, reverse=True)[:count]]
        if count > len(done):
            raise GenError([Diagnostic("MG016", f"asked to revert {count} migrations but {len(done)} are applied",
                                       name="migrate.down", hint="see `gen migrate status`")], EXIT_BAD_INPUT)
        texts = {m.version: _down_text(m) for m in targets}
        if not allow_destructive:
            _refuse_lost_data(conn, targets, texts)
        for m in targets:
            text = texts[m.version]
            progress(f"reverting {m.name}")
            for line in text.splitlines():
                if line.startswith(f"-- {DATA_NOT_RESTORED}"):
                    progress(f"warning: {m.name} dropped data its down cannot bring back: "
                             f"{line.split(DATA_NOT_RESTORED, 1)[1].strip()}")
            _run(conn, m.down, text, m.transactional(text), lambda m=m: history.forget(conn, m.version), progress)
            result.done.append(m)
    return result


def _refuse_lost_data(conn: psycopg.Connection, targets: list[Migration], texts: dict) -> None:
    """MG041 before anything is reverted, naming every table and column holding data that the
    down scripts would drop."""
    lost = [(m, datacheck.dropped_data(conn, _body(texts[m.version]))) for m in targets]
    found = [Diagnostic("MG041", f"reverting {m.name} would drop data: " + ", ".join(what), name="migrate.down",
                        hint="nothing was reverted; back the data up if it matters, and pass --allow-destructive to "
                             "revert anyway (the up cannot bring the data back)") for m, what in lost if what]
    if found:
        raise GenError(found, EXIT_FINDINGS)


def _reconciled(conn: psycopg.Connection, d: MigrationDir, progress: Progress) -> dict:
    """The history, after swapping the rows of squashed migrations for the squash's."""
    done = history.applied(conn)
    swapped = squash.reconcile(conn, d, done, lambda m: history.record(conn, m, m.up_checksum()),
                               lambda v: history.forget(conn, v))
    if swapped:
        progress(f"history: the squashed migrations are recorded as {', '.join(swapped)}")
        done = history.applied(conn)
    return done


def _down_text(m: Migration) -> str:
    if m.down is None or not m.down.exists():
        raise GenError([Diagnostic("MG015", f"{m.name} has no down script", name="migrate.down",
                                   hint="restore it from version control")], EXIT_FINDINGS)
    text = m.down.read_bytes().decode("utf-8")
    first = text.splitlines()[0] if text else ""
    if first.startswith(IRREVERSIBLE):
        raise GenError([Diagnostic("MG015", f"{m.down} is irreversible: {first[len(IRREVERSIBLE):].strip()}",
                                   name="migrate.down", hint="write a new forward migration instead")], EXIT_FINDINGS)
    return text


def status(url: str, directory: "str | Path | MigrationDir") -> list[Status]:
    d = as_dir(directory)
    with connect(url, autocommit=True) as conn:
        done = squash.reconciled(d, history.applied(conn), history.Applied)
    history.check(d, done)
    return [Status(m, done.get(m.version)) for m in d.migrations()]


STATUS_COLUMNS = ("VERSION", "NAME", "STATE", "APPLIED AT", "CHECKSUM")
CHECKSUM_SHORT = 12         # "h1:" and 9 base64 characters: enough to tell files apart at a glance


def status_table(rows: list[Status]) -> str:
    """`gen migrate status` for people: an aligned table, one migration a line, and a total."""
    if not rows:
        return "no migrations"
    cells = [STATUS_COLUMNS] + [(s.migration.version, s.migration.slug, s.state, s.applied_at,
                                 s.checksum[:CHECKSUM_SHORT]) for s in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(STATUS_COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    pending = sum(1 for s in rows if not s.applied)
    return "\n".join(lines) + f"\n{len(rows) - pending} applied, {pending} pending"


def _require(d: MigrationDir) -> None:
    if not d.exists():
        raise GenError([Diagnostic("MG017", f"no migrations in {d.path}", name="migrate.dir",
                                   hint="write the first with `gen migrate new init --spec SPEC`")], EXIT_BAD_INPUT)
