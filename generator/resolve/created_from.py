"""`created_from` sugar: a SECURITY DEFINER function and an AFTER INSERT trigger on another
table (Supabase's auth.users) that create this entity's row for every new row there."""
from __future__ import annotations

from generator.model import ExternalTrigger, Function, Table, Trigger
from generator.model.naming import quote_ident, shorten
from generator.resolve.context import Ctx
from generator.spec.schema import Entity


def created_from(ctx: Ctx, key: str, ent: Entity, table: Table) -> ExternalTrigger | None:
    cf = ent.created_from
    if cf is None:
        return None
    path = ("entities", key, "created_from")
    if "." not in cf.table:
        ctx.error("RS095", f"created_from.table '{cf.table}' must be schema.table", path + ("table",),
                  "write e.g. auth.users")
        return None
    schema, source = cf.table.split(".", 1)
    cols, exprs = [], []
    for col, expr in cf.values.items():
        if table.column(col) is None:
            ctx.error("RS096", f"created_from sets unknown column '{col}' of '{table.name}'", path + ("values", col),
                      "use a column of this entity")
            continue
        checked = ctx.expr(expr, path + ("values", col), f"created_from value of '{col}'")
        if checked is None:
            continue
        cols.append(quote_ident(col))
        exprs.append(checked)
    if not cols:
        return None
    conflict = " ON CONFLICT DO NOTHING"
    body = (f"\nBEGIN\n  INSERT INTO {quote_ident(table.schema)}.{quote_ident(table.name)} ({', '.join(cols)})\n"
            f"  VALUES ({', '.join(exprs)}){conflict};\n  RETURN NEW;\nEND;\n")
    fname = shorten(f"{ctx.prefix}handle_new_{source}_{key}")
    fn = Function(name=fname, returns="trigger", body=body, schema=ctx.schema_name, language="plpgsql",
                  security_definer=True, search_path="''",
                  comment=f"Creates the {table.name} row of every new {cf.table} row (created_from).")
    ctx.functions[fn.key] = fn
    trigger = Trigger(shorten(f"on_{source}_created_{table.name}"), f"{quote_ident(fn.schema)}.{quote_ident(fn.name)}",
                      "AFTER", ("INSERT",), "ROW", None, loc=ctx.loc(*path))
    return ExternalTrigger(schema, source, trigger)
