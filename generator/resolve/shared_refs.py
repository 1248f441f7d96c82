"""`same_tenant: shared`: a reference to a table whose rows of no tenant are shared by every
tenant (system themes, global templates). A foreign key cannot say "the same tenant, or none", so
the plain key checks that the parent exists and a BEFORE INSERT OR UPDATE trigger refuses a parent
of another tenant (SQLSTATE 23503)."""
from __future__ import annotations

from dataclasses import replace

from generator.model import ForeignKey, Function, Schema, Table, Trigger
from generator.model.naming import quote_ident, quote_literal, shorten


def shared_references(schema: Schema) -> Schema:
    if not any(fk.shared for t in schema.tables for fk in t.foreign_keys):
        return schema
    tables, functions = [], list(schema.functions)
    for t in schema.tables:
        added = []
        for fk in t.foreign_keys:
            if not fk.shared:
                continue
            fn = _function(t, fk)
            functions.append(fn)
            mine = fk.shared[0]
            added.append(Trigger(fn.name, f"{quote_ident(fn.schema)}.{quote_ident(fn.name)}", "BEFORE",
                                 ("INSERT", "UPDATE"), "ROW", columns=tuple(dict.fromkeys((mine,) + fk.columns)),
                                 loc=fk.loc))
        tables.append(replace(t, triggers=tuple(sorted(t.triggers + tuple(added), key=lambda x: x.name)))
                      if added else t)
    return replace(schema, tables=tuple(tables), functions=tuple(sorted(functions, key=lambda f: f.key)))


def _function(t: Table, fk: ForeignKey) -> Function:
    mine, theirs = fk.shared
    parent = f"{quote_ident(fk.ref_schema)}.{quote_ident(fk.ref_table)}"
    match = " AND ".join(f"p.{quote_ident(r)} = NEW.{quote_ident(c)}" for c, r in zip(fk.columns, fk.ref_columns))
    given = " AND ".join(f"NEW.{quote_ident(c)} IS NOT NULL" for c in fk.columns)
    message = quote_literal(f"{t.name}.{', '.join(fk.columns)}: the {fk.ref_table} row belongs to another tenant")
    body = (f"\nBEGIN\n  IF {given} AND NOT EXISTS (\n"
            f"      SELECT 1 FROM {parent} p\n      WHERE {match}\n"
            f"        AND (p.{quote_ident(theirs)} IS NULL OR p.{quote_ident(theirs)} = NEW.{quote_ident(mine)})) THEN\n"
            f"    RAISE EXCEPTION {message}\n      USING ERRCODE = '23503', HINT = 'reference a row of your "
            f"own tenant or a shared one (no tenant)';\n  END IF;\n  RETURN NEW;\nEND;\n")
    return Function(name=shorten(f"{t.name}_{'_'.join(fk.columns)}_tenant"), returns="trigger", body=body,
                    schema=t.schema, language="plpgsql", search_path="''",
                    comment=f"Trigger function: {fk.name} reaches only this tenant's or shared (no tenant) rows.")
