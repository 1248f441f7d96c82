"""`gen import`: read a live PostgreSQL database, or SQL files applied to a throw-away one, into
a spec a person would have written; the spec is resolved again and compared with what was
read before anything is written, and whatever the spec language cannot hold is listed."""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from generator.db.connect import connect, describe
from generator.db.inspect import inspect
from generator.diagnostics import EXIT_BAD_INPUT, Diagnostic, GenError
from generator.importer.catalog import read_catalog, user_schemas
from generator.importer.context import ImportCtx, assign_keys, find_serials
from generator.importer.document import build_document
from generator.importer.losses import Loss, header, sort_key
from generator.importer.supabase import (STAND_IN_EXTENSIONS, SUPABASE_SCHEMAS, looks_like_supabase,
                                         model_uses_supabase)
from generator.importer.verify import (apply_patches, record, repair, resolve_text, self_check, tables_to_plain,
                                       unresolvable)
from generator.importer.yamlout import emit_body, with_header
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
    with connect(url, autocommit=True) as conn:
        return import_connection(conn, schemas, name or _db_name(conn), notes, source or describe(url),
                                 hidden_extensions)


def import_sql(paths: list[str], server: str = "auto", base_url: str | None = None,
               name: str | None = None, schemas: list[str] | None = None) -> ImportResult:
    """Apply SQL files to a scratch database, then import it."""
    from generator.importer.sqlsource import loaded_database

    with loaded_database(paths, server, base_url) as loaded:
        notes = []
        if loaded.roles_created:
            notes.append("roles created on the scratch server so the SQL could run: "
                         + ", ".join(loaded.roles_created))
        if loaded.supabase:
            notes.append("loaded after a Supabase stand-in (auth, storage, roles anon/authenticated/service_role)")
        for f in loaded.files:
            if f.meta_lines:
                notes.append(f"psql meta-commands skipped in {f.path} at line(s) "
                             + ", ".join(str(n) for n in f.meta_lines))
            if f.database_lines:
                notes.append(f"statements about other databases (CREATE/DROP/ALTER DATABASE) skipped in {f.path} "
                             "at line(s) " + ", ".join(str(n) for n in f.database_lines))
        label = ", ".join(paths)
        hidden = STAND_IN_EXTENSIONS if loaded.supabase else frozenset()
        return import_database(loaded.url, schemas, name or Path(paths[0]).stem, notes, label, hidden)


def import_connection(conn: psycopg.Connection, schemas: list[str] | None, name: str,
                      notes: list[str] | None = None, source: str = "a database",
                      hidden_extensions: set[str] = frozenset()) -> ImportResult:
    ctx = _context(conn, schemas)
    ctx.hidden_extensions = set(hidden_extensions)
    spec_name = _spec_name(name)
    notes = list(notes or [])
    text, doc, resolved = _converge(ctx, spec_name, lambda: _header(ctx, source, notes))
    return ImportResult(text, doc, sorted(set(ctx.losses), key=sort_key), ctx.model, resolved, ctx.schemas, ctx.main,
                        ctx.flavor, notes)


def _context(conn: psycopg.Connection, wanted: list[str] | None) -> ImportCtx:
    rows = user_schemas(conn)
    names = {r["name"] for r in rows}
    roles = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles").fetchall()}
    supabase_db = looks_like_supabase(names, roles)
    if wanted:
        unknown = sorted(set(wanted) - names)
        if unknown:
            raise GenError([Diagnostic("IM002", f"no schema named {', '.join(unknown)} in the database",
                                       name="import.schema", hint="schemas: " + ", ".join(sorted(names)))],
                           EXIT_BAD_INPUT)
        chosen = list(dict.fromkeys(wanted))
    else:
        chosen = [n for n in sorted(names) if not (supabase_db and n in SUPABASE_SCHEMAS)]
    excluded = sorted(n for n in names if n not in chosen and n in SUPABASE_SCHEMAS)
    model = inspect(conn, tuple(chosen))
    catalog = read_catalog(conn, chosen, excluded if supabase_db else [])
    flavor = "supabase" if supabase_db or model_uses_supabase(model) else "plain"
    ctx = ImportCtx(model, catalog, chosen, _main_schema(chosen, model), flavor, conn.info.server_version // 10000)
    from generator.importer.leftovers import default_privilege_roles, read_leftovers
    ctx.leftovers = read_leftovers(conn, chosen, excluded if supabase_db else [], flavor == "supabase")
    ctx.leftover_roles = default_privilege_roles(conn, chosen) if flavor != "supabase" and ctx.leftovers else set()
    assign_keys(ctx)
    from generator.importer.conventions import detect_convention
    ctx.convention = detect_convention(ctx)
    find_serials(ctx)
    return ctx


def _main_schema(chosen: list[str], model: Schema) -> str:
    """The schema holding most tables, functions and views (spec functions and views live in
    the main one); public wins a tie, then the first by name."""
    counts = {n: 0 for n in chosen}
    for obj in (*model.tables, *model.functions, *model.views):
        if obj.schema in counts:
            counts[obj.schema] += 1
    if not counts:
        return "public"
    return sorted(counts, key=lambda n: (-counts[n], n != "public", n))[0]


def _converge(ctx: ImportCtx, name: str, head) -> tuple[str, dict, Schema]:
    """Build, resolve and compare until the spec resolves and every difference is a loss."""
    patches: list = []
    for _ in range(25):
        doc = build_document(ctx, name)
        apply_patches(ctx, doc, patches)
        body = emit_body(doc)
        text = with_header(body, head())
        try:
            resolved = resolve_text(text)
        except GenError as e:
            if repair(ctx, doc, e, patches):
                continue
            raise unresolvable(e, text) from None
        diffs = self_check(ctx, resolved)
        plain = tables_to_plain(ctx, diffs)
        if plain:
            ctx.raw_tables |= plain
            continue
        record(ctx, diffs)
        return with_header(body, head()), doc, resolved   # the losses just recorded change the header only
    raise GenError([Diagnostic("IM901", "the import did not settle after 25 rounds", name="import.verify",
                               hint="this is a bug in gen import; nothing was written")], EXIT_BAD_INPUT)


def _header(ctx: ImportCtx, source: str, notes: list[str]) -> list[str]:
    lines = [f"Imported by `gen import` from {source}",
             f"(PostgreSQL {ctx.version}, flavor {ctx.flavor}; schemas: {', '.join(ctx.schemas) or 'none'}).",
             "Traits, tenancy and policy presets are used only where they resolve to exactly what the",
             "database holds; this spec was resolved again and compared with the database before writing."]
    lines += notes
    return lines + [""] + header(ctx.losses)


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
