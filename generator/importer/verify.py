"""The importer's self-check: resolve the spec it wrote, compare with the database it read,
fall back from sugar to plain forms where they differ, drop what does not resolve, and
record every remaining difference as a loss. Nothing is silently different."""
from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from pathlib import Path

from generator.diagnostics import EXIT_BAD_INPUT, Diagnostic, GenError
from generator.importer.compare import Difference, differences, unexplained
from generator.importer.context import ImportCtx
from generator.model import Schema
from generator.postgres.normalize import normalize

MAX_ROUNDS = 25
_SECTIONS = {"columns": "column", "unique": "unique", "checks": "check", "indexes": "index",
             "policies": "policy", "triggers": "trigger", "grants": "grant"}


def resolve_text(text: str, name: str = "spec.yaml") -> Schema:
    """What pipeline.load_schema makes of the text (load, check the shape, resolve), read
    through a temporary file as the pipeline reads files."""
    from generator.resolve import resolve
    from generator.spec.loader import load_spec
    from generator.spec.validate import validate_shape

    with tempfile.TemporaryDirectory(prefix="gen-import-") as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        loaded = load_spec(path)
        return resolve(validate_shape(loaded), loaded)


def comparable(schema: Schema, schemas: list[str] | None = None) -> Schema:
    """Normalized, with collations unqualified where the search path finds them and, when
    given, the schema list taken from `schemas` (an empty schema is invisible to inspect)."""
    tables = tuple(replace(t, columns=tuple(replace(c, collation=_unqualified(c.collation)) for c in t.columns))
                   for t in schema.tables)
    out = replace(schema, tables=tables)
    if schemas is not None:
        out = replace(out, schemas=tuple(sorted(set(schemas) - {"public"})))
    return normalize(out)


def _unqualified(collation: str | None) -> str | None:
    if collation and collation.startswith(("public.", "pg_catalog.")):
        return collation.split(".", 1)[1]
    return collation


def self_check(ctx: ImportCtx, resolved: Schema) -> list[Difference]:
    """Differences between the database and the resolved spec that no loss explains."""
    model = platform_defaults(ctx.model) if ctx.flavor == "supabase" else ctx.model
    return unexplained(differences(comparable(model, ctx.schemas), comparable(resolved)), ctx.losses)


def platform_defaults(model: Schema) -> Schema:
    """EXECUTE for PUBLIC and Supabase's API roles is what Supabase's default privileges give
    every new function: the spec's default (None), which the stand-in gives again."""
    from generator.importer.supabase import SUPABASE_ROLES
    default = {"public", *SUPABASE_ROLES}
    return replace(model, functions=tuple(
        replace(f, execute=None) if f.execute is not None and "public" in f.execute and set(f.execute) <= default
        else f for f in model.functions))


def tables_to_plain(ctx: ImportCtx, diffs: list[Difference]) -> set[tuple[str, str]]:
    """Tables with differences whose sugar (traits, presets, tenancy) is not yet switched off."""
    return {d.obj[1:] for d in diffs if d.obj[0] == "table"} - ctx.raw_tables


def record(ctx: ImportCtx, diffs: list[Difference]) -> None:
    for d in diffs:
        ctx.lose(d.obj, d.part, f"resolves differently ({d.detail})", "as the spec resolves it")


# ---------------------------------------------------------------- repairs

def repair(ctx: ImportCtx, doc: dict, error: GenError, patches: list) -> bool:
    """Turn resolve errors into patches (paths to drop, with a loss each); False if none apply."""
    added = False
    for d in error.diagnostics:
        path = _path(doc, d.name)
        if path is None or path[0] not in ("entities", "views", "functions", "enums"):
            continue
        target = _item_path(path)
        if target not in [p for p, _ in patches]:
            patches.append((target, d))
            added = True
    return added


def apply_patches(ctx: ImportCtx, doc: dict, patches: list) -> None:
    for path, diag in sorted(patches, key=lambda p: [str(x) for x in p[0]], reverse=True):
        obj, part = _loss_target(ctx, doc, path)
        if _delete(doc, path):
            ctx.lose(obj, part, f"does not resolve in the spec language ({diag.code}: {diag.message})",
                     "not imported")


def _path(doc, name: str) -> tuple | None:
    """A diagnostic's dotted name back to a path into the document (keys may hold dots)."""
    out, node, rest = [], doc, name
    while rest:
        if isinstance(node, dict):
            key = next((k for k in sorted(node, key=lambda k: -len(str(k)))
                        if rest == str(k) or rest.startswith(f"{k}.")), None)
        elif isinstance(node, list):
            head = rest.split(".", 1)[0]
            key = int(head) if head.isdigit() and int(head) < len(node) else None
        else:
            break
        if key is None:
            return None if not out else tuple(out)
        out.append(key)
        node = node[key]
        rest = rest[len(str(key)) + 1:]
    return tuple(out) if out else None


def _item_path(path: tuple) -> tuple:
    if path[0] == "entities" and len(path) >= 4 and path[2] in _SECTIONS:
        return path[:4]
    if path[0] == "entities" and len(path) >= 3 and path[2] in ("tenant", "traits", "rls", "primary_key"):
        return path[:3]
    return path[:2]


def _loss_target(ctx: ImportCtx, doc: dict, path: tuple) -> tuple[tuple, str | None]:
    if path[0] != "entities":
        kind = {"views": "view", "functions": "function", "enums": "enum"}[path[0]]
        return (kind, ctx.main, path[1]), None
    table = next((k for k, v in ctx.keys.items() if v == path[1]), (ctx.main, path[1]))
    part = None
    if len(path) >= 4 and path[2] in _SECTIONS:
        item = doc["entities"][path[1]][path[2]][path[3]]
        label = item.get("name") if isinstance(item, dict) else None
        part = f"{_SECTIONS[path[2]]} {label or path[3]}"
    return ("table",) + tuple(table), part


def _delete(doc, path: tuple) -> bool:
    """Delete the item at path; an optional section left empty goes too."""
    parents = [doc]
    for key in path[:-1]:
        try:
            parents.append(parents[-1][key])
        except (KeyError, IndexError, TypeError):
            return False
    try:
        del parents[-1][path[-1]]
    except (KeyError, IndexError, TypeError):
        return False
    if len(path) >= 2 and not parents[-1] and path[-2] not in ("columns", "entities"):
        del parents[-2][path[-2]]
    return True


def unresolvable(error: GenError, text: str) -> GenError:
    """IM900: the imported spec does not resolve and no repair applies (a bug in gen import)."""
    head = re.sub(r"\s+", " ", "; ".join(f"{d.code} {d.name}: {d.message}" for d in error.diagnostics[:5]))
    return GenError([Diagnostic("IM900", f"the imported spec does not resolve: {head}", name="import.verify",
                                hint="this is a bug in gen import; nothing was written")], EXIT_BAD_INPUT)


