"""`gen import`: read a live PostgreSQL database, or SQL files applied to a throw-away one, into
a spec a person would have written; the spec is resolved again and compared with what was
read before anything is written, and whatever the spec language cannot hold is listed."""
from __future__ import annotations

import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator.importer.losses import Loss, sort_key

if TYPE_CHECKING:
    import psycopg

    from generator.model import Schema

__all__ = ["ImportResult", "import_database", "import_sql", "import_connection", "write_spec", "Loss"]


@dataclass
class ImportResult:
    text: str                      # the spec, header comments included
    spec: dict                     # the same as data
    losses: list[Loss]
    model: Schema                  # what was read (not normalized)
    resolved: Schema               # what the spec resolves to
    schemas: list[str]
    main: str
    flavor: str
    notes: list[str] = field(default_factory=list)


def import_database(url: str, schemas: list[str] | None = None, name: str | None = None,
                    notes: list[str] | None = None, source: str | None = None,
                    hidden_extensions: set[str] = frozenset()) -> ImportResult:
    """Import the schemas of a database (default: all user schemas, minus Supabase's own).
    `hidden_extensions` were installed by a stand-in, not the project (no header line)."""
    from generator.db.connect import connect, describe

    with connect(url, autocommit=True) as conn:
        return import_connection(conn, schemas, name or _db_name(conn), notes, source or describe(url),
                                 hidden_extensions)


def import_sql(paths: list[str], server: str = "auto", base_url: str | None = None,
               name: str | None = None, schemas: list[str] | None = None) -> ImportResult:
    """Apply SQL files to a scratch database, then import it. The modules that read the database
    back are imported on a second thread meanwhile (the server starts and runs the SQL in
    processes of its own)."""
    from generator.importer.sqlsource import loaded_database
    from generator.importer.supabase import STAND_IN_EXTENSIONS

    warm = threading.Thread(target=_import_session, name="gen-import-warm", daemon=True)
    warm.start()
    try:
        with loaded_database(paths, server, base_url) as loaded:
            warm.join()
            notes = _notes(loaded)
            label = ", ".join(paths)
            hidden = STAND_IN_EXTENSIONS if loaded.supabase else frozenset()
            return import_database(loaded.url, schemas, name or Path(paths[0]).stem, notes, label, hidden)
    finally:
        warm.join()       # also after an error: no import left running at exit


def _notes(loaded) -> list[str]:
    """The header lines saying how the SQL was loaded."""
    notes = []
    if loaded.roles_created:
        notes.append("roles created on the scratch server so the SQL could run: " + ", ".join(loaded.roles_created))
    if loaded.supabase:
        notes.append("loaded after a Supabase stand-in (auth, storage, roles anon/authenticated/service_role)")
    for f in loaded.files:
        if f.meta_lines:
            notes.append(f"psql meta-commands skipped in {f.path} at line(s) "
                         + ", ".join(str(n) for n in f.meta_lines))
        if f.database_lines:
            notes.append(f"statements about other databases (CREATE/DROP/ALTER DATABASE) skipped in {f.path} "
                         "at line(s) " + ", ".join(str(n) for n in f.database_lines))
    return notes


def _import_session() -> None:
    import generator.importer.session  # noqa: F401 (imported for its side effect: loaded once)


def import_connection(conn: psycopg.Connection, schemas: list[str] | None, name: str,
                      notes: list[str] | None = None, source: str = "a database",
                      hidden_extensions: set[str] = frozenset()) -> ImportResult:
    from generator.importer.session import context, converge, spec_header

    ctx = context(conn, schemas)
    ctx.hidden_extensions = set(hidden_extensions)
    spec_name = _spec_name(name)
    notes = list(notes or [])
    text, doc, resolved = converge(ctx, spec_name, lambda: spec_header(ctx, source, notes))
    return ImportResult(text, doc, sorted(set(ctx.losses), key=sort_key), ctx.model, resolved, ctx.schemas, ctx.main,
                        ctx.flavor, notes)


def _spec_name(name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_-")
    return clean if clean[:1].isalpha() else f"imported_{clean}".rstrip("_")


def _db_name(conn: psycopg.Connection) -> str:
    return conn.info.dbname or "imported"


def write_spec(path: str | Path, text: str) -> None:
    """Write the spec atomically: a temporary file beside it, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
