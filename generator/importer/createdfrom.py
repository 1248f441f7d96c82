"""`created_from` recognised in an imported database: an AFTER INSERT trigger on a table outside
the import (Supabase's auth.users) whose SECURITY DEFINER function inserts this entity's row,
exactly as the spec's created_from sugar makes them."""
from __future__ import annotations

import re

from generator.db.types import split_qualified
from generator.importer.recognize import same_function
from generator.importer.context import ImportCtx
from generator.model import Function
from generator.model.naming import quote_ident, shorten
from generator.model.sqltext import split_top_level

_BODY = re.compile(r"^\nBEGIN\n  INSERT INTO (?P<table>\S+) \((?P<cols>.*?)\)\n  VALUES \((?P<values>.*)\) "
                   r"ON CONFLICT DO NOTHING;\n  RETURN NEW;\nEND;\n$", re.DOTALL)
_TRIGGER = re.compile(r"^CREATE TRIGGER \S+ AFTER INSERT ON (?P<table>\S+) FOR EACH ROW EXECUTE FUNCTION "
                      r"(?P<fn>\S+)\(\)$")


def recognize_created_from(ctx: ImportCtx) -> dict[str, dict]:
    """Entity key -> its `created_from:` block, for every trigger that matches exactly."""
    out: dict[str, dict] = {}
    for r in ctx.catalog.triggers:
        if r["inside"] or r["fn_schema"] != ctx.main:
            continue
        got = _match(ctx, r)
        if got is not None:
            key, block = got
            out[key] = block
            ctx.generated_functions.add((r["fn_schema"], r["fn_name"]))
            ctx.absorbed_triggers.add((r["schema"], r["table_name"], r["name"]))
    return out


def _match(ctx: ImportCtx, row: dict) -> tuple[str, dict] | None:
    trig = _TRIGGER.match(row["definition"])
    fn = next((f for f in ctx.model.functions if (f.schema, f.name, f.args) == (row["fn_schema"], row["fn_name"], "")),
              None)
    body = _BODY.match(fn.body) if fn else None
    if trig is None or body is None:
        return None
    schema, table = split_qualified(body.group("table"))
    key = ctx.keys.get((schema or "public", table))
    cols = [split_qualified(c)[1] for c in body.group("cols").split(", ")]
    values = _split(body.group("values"))
    if key is None or len(cols) != len(values):
        return None
    source = row["table_name"]
    want = Function(
        name=shorten(f"{ctx.prefix}handle_new_{source}_{key}"), returns="trigger", body=fn.body, schema=ctx.main,
        language="plpgsql", security_definer=True, search_path="''",
        comment=f"Creates the {table} row of every new {row['schema']}.{source} row (created_from).")
    expected_body = (f"\nBEGIN\n  INSERT INTO {quote_ident(schema or 'public')}.{quote_ident(table)} "
                     f"({', '.join(quote_ident(c) for c in cols)})\n  VALUES ({', '.join(values)}) "
                     "ON CONFLICT DO NOTHING;\n  RETURN NEW;\nEND;\n")
    if (not same_function(want, fn) or expected_body != fn.body
            or row["name"] != shorten(f"on_{source}_created_{table}")):
        return None
    return key, {"table": f"{row['schema']}.{source}", "values": dict(zip(cols, values))}


def _split(text: str) -> list[str]:
    """Top-level comma-separated SQL expressions (quotes and parentheses respected)."""
    return split_top_level(text)
