"""`gen import --sql`: apply SQL files to a throw-away PostgreSQL database (pgserver's 16, or
Debian's 15 with contrib), read the way psql reads them (generator.importer.psql: COPY data,
meta-commands skipped and reported, statements that cannot run in a transaction run alone, SET
lines kept for the file), with a Supabase stand-in when the SQL needs one and any role the SQL
names created first; a failure names the file and line and nothing is imported."""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import psycopg

from generator.db.connect import connect, with_database
from generator.db.server import scratch_database, scratch_name, server
from generator.diagnostics import EXIT_BAD_INPUT, Diagnostic, GenError, Location
from generator.importer import psql
from generator.importer.sqltext import line_col
from generator.importer.supabase import created_extensions, load_shim, sql_needs_supabase
from generator.model.naming import quote_ident

SERVERS = ("auto", "embedded", "pg15")
MAX_ROLE_ROUNDS = 25
_MISSING_ROLE = re.compile(r'role "(.+)" does not exist')
_MISSING_EXTENSION = ("0A000", "58P01")
_ALREADY_EXISTS = ("42P07", "42710", "42723", "42P06", "42P04")


@dataclass
class SqlFile:
    path: str
    text: str
    meta_lines: list[int] = field(default_factory=list)        # psql meta-commands skipped
    database_lines: list[int] = field(default_factory=list)    # CREATE/DROP DATABASE skipped
    pieces: list = field(default_factory=list)                  # psql.Piece, in order


@dataclass
class LoadedSql:
    url: str
    files: list[SqlFile]
    supabase: bool
    roles_created: list[str]


def read_sql_files(paths: list[str]) -> list[SqlFile]:
    out, problems = [], []
    for p in paths:
        try:
            raw = Path(p).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            problems.append(Diagnostic("IM001", f"cannot read SQL file {p}: {e}", name="import.sql",
                                       hint="pass existing UTF-8 .sql files"))
            continue
        text = raw.replace("\r\n", "\n")
        pieces = psql.split(text)
        out.append(SqlFile(p, text, psql.skipped_lines(text, pieces, "meta"),
                           psql.skipped_lines(text, pieces, "database"), pieces))
    if problems:
        raise GenError(problems, EXIT_BAD_INPUT)
    return out


@contextmanager
def loaded_database(paths: list[str], server: str = "auto", base_url: str | None = None) -> Iterator[LoadedSql]:
    """Yield a scratch database holding the SQL files (dropped afterwards, or removed with the
    cluster started for it). `base_url` reuses a running server instead of starting `server`."""
    files = read_sql_files(paths)
    supabase = any(sql_needs_supabase(f.text) for f in files)
    wanted = set().union(*(created_extensions(f.text) for f in files)) - {"plpgsql"}
    wanted = {w for w in wanted if "." not in w}
    owned = not base_url and not (server or "auto").startswith("postgres")   # a cluster started here
    with _server(server, base_url, wanted) as base:
        roles: list[str] = []
        for _ in range(MAX_ROLE_ROUNDS):
            with _scratch(base, owned) as url:
                missing = _load(url, files, supabase, server)
                if missing is None:
                    yield LoadedSql(url, files, supabase, roles)
                    return
            _create_role(base, missing)
            roles.append(missing)
        raise GenError([Diagnostic("IM012", f"the SQL needs more than {MAX_ROLE_ROUNDS} missing roles",
                                   name="import.sql", hint="create the roles on a server and use --database-url")])


@contextmanager
def _server(choice: str, base_url: str | None, extensions: set[str] = frozenset()) -> Iterator[str]:
    """`base_url` (a running server), else the --server choice: auto picks one that has the
    extensions the SQL creates."""
    if base_url:
        yield base_url
        return
    with server(choice, extensions, in_memory=True) as url:     # thrown away: no disk needed
        yield url


@contextmanager
def _scratch(base: str, owned: bool) -> Iterator[str]:
    """A fresh database; on a cluster started for this import it is left for the cluster's
    removal (dropping thousands of relations file by file would only cost time)."""
    if not owned:
        with scratch_database(base, prefix="gen_import_") as url:
            yield url
        return
    name = scratch_name("gen_import_")
    with connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0")
    yield with_database(base, name)


def _create_role(base: str, name: str) -> None:
    with connect(base, autocommit=True) as conn:
        conn.execute(f"DO $r$ BEGIN CREATE ROLE {quote_ident(name)} NOLOGIN; "
                     "EXCEPTION WHEN duplicate_object THEN NULL; END $r$")


def _load(url: str, files: list[SqlFile], supabase: bool, server: str) -> str | None:
    """Run every file, each on a session of its own; returns a missing role's name, or None."""
    if supabase:
        created = set().union(*(created_extensions(f.text) for f in files))
        with connect(url, autocommit=True) as conn:
            conn.execute(load_shim(created))
    for f in files:
        work = [b for b in psql.batches(f.text, f.pieces) if b.kind not in ("meta", "database")]
        if not work:
            continue
        with connect(url, autocommit=True) as conn:
            for batch in work:
                try:
                    _run(conn, f, batch)
                except psycopg.Error as exc:
                    role = _MISSING_ROLE.search(exc.diag.message_primary or "")
                    if role and exc.diag.sqlstate == "42704":
                        return role.group(1)
                    raise _file_error(f, exc, server, _position(exc, f, batch, conn)) from None
    return None


def _run(conn: psycopg.Connection, f: SqlFile, batch) -> None:
    sql = f.text[batch.start:batch.end]
    if batch.kind == "copy":
        with conn.cursor() as cur, cur.copy(sql.rstrip().rstrip(";")) as copy:
            copy.write(batch.pieces[0].data)
    else:
        conn.execute(sql)


def _position(exc: psycopg.Error, f: SqlFile, batch, conn: psycopg.Connection) -> int | None:
    """0-based index of the error in f.text: the server's position within what was sent, else
    the statement of the batch that fails when replayed one by one."""
    pos = exc.diag.statement_position
    if pos:
        return batch.start + int(pos) - 1
    if len(batch.pieces) == 1 or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return batch.start
    for piece in batch.pieces:         # the batch ran as one transaction: nothing of it is left
        try:
            conn.execute(f.text[piece.start:piece.end])
        except psycopg.Error as again:
            if again.diag.sqlstate not in _ALREADY_EXISTS:
                return piece.start + (int(again.diag.statement_position) - 1 if again.diag.statement_position else 0)
    return batch.start


def _file_error(f: SqlFile, exc: psycopg.Error, server: str, index: int | None) -> GenError:
    diag = exc.diag
    message = diag.message_primary or str(exc).strip().splitlines()[0]
    extra = "; ".join(x for x in (diag.message_detail, diag.message_hint) if x)
    loc, where = None, ""
    if index is not None:
        # The location is the line psql reports (`psql:FILE:LINE: ERROR`): where the failing statement
        # ends, the line psql had read when it sent it. The server's error position, which can lie
        # many lines earlier (a missing ';' joins two statements), is named in the message.
        line, col = line_col(f.text, index)
        loc = Location(f.path, line, col)
        span = next((p for p in f.pieces if p.start <= index < max(p.end, p.start + 1)), None)
        if span is not None:
            first, last = line_col(f.text, span.start)[0], line_col(f.text, span.end - 1)[0]
            if last != first:
                loc = Location(f.path, last, col if last == line else 1)
                where = (f" (at line {line}:{col} in the statement of lines {first}-{last}; "
                         f"psql reports line {last}, where it ends)")
    hint = "nothing was imported or written; fix the SQL and run again"
    if diag.sqlstate in _MISSING_EXTENSION and "extension" in message:
        hint = ("the extension is not on this server: try --server pg15 (Debian PostgreSQL 15 with contrib) or "
                "--server postgresql://... a server that has it" if server != "pg15"
                else "install the extension's package on this machine, or --server postgresql://... one that has it")
    text = f"{message}{f' ({extra})' if extra else ''}{where}"
    if loc is None:
        text = f"{f.path}: {text}"
    return GenError([Diagnostic("IM010", text, loc, "import.sql", hint)], EXIT_BAD_INPUT)
