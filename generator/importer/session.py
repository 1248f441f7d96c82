"""One import over an open connection: the context read from the catalogs, then the spec built,
written, resolved again and compared until every difference is a loss (generator.importer's
heavy half, imported only once a database is there to read)."""
from __future__ import annotations

import psycopg

from generator.db.inspect import inspect
from generator.diagnostics import EXIT_BAD_INPUT, Diagnostic, GenError
from generator.importer.catalog import read_catalog, user_schemas
from generator.importer.context import ImportCtx, assign_keys, find_serials
from generator.importer.document import build_document
from generator.importer.losses import header
from generator.importer.supabase import SUPABASE_SCHEMAS, looks_like_supabase, model_uses_supabase
from generator.importer.verify import (apply_patches, record, repair, resolve_text, self_check, tables_to_plain,
                                       unresolvable)
from generator.importer.yamlout import emit_body, with_header
from generator.model import Schema


def context(conn: psycopg.Connection, wanted: list[str] | None) -> ImportCtx:
    """What the import reads: the chosen schemas inspected, the extra catalog facts, keys and serials."""
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


def converge(ctx: ImportCtx, name: str, head) -> tuple[str, dict, Schema]:
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


def spec_header(ctx: ImportCtx, source: str, notes: list[str]) -> list[str]:
    lines = [f"Imported by `gen import` from {source}",
             f"(PostgreSQL {ctx.version}, flavor {ctx.flavor}; schemas: {', '.join(ctx.schemas) or 'none'}).",
             "Traits, tenancy and policy presets are used only where they resolve to exactly what the",
             "database holds; this spec was resolved again and compared with the database before writing."]
    lines += notes
    return lines + [""] + header(ctx.losses)
