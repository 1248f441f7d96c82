"""`same_tenant: shared`: a reference to a table whose rows of no tenant are shared by every
tenant (system themes, global templates). A foreign key cannot say "the same tenant, or none", so
the plain key checks that the parent exists and a BEFORE INSERT OR UPDATE trigger refuses a parent
of another tenant (SQLSTATE 23503). The trigger's lookup runs as the writer, under the parent's
RLS, so the parent's shared rows must be readable by the roles its tenant isolation is for: a
`<parent>_shared_rows` SELECT policy (`<tenant column> IS NULL`) is added unless the spec already
says what of it is readable to everyone (a public_read policy) or has that policy itself."""
from __future__ import annotations

from dataclasses import replace

from generator.model import ForeignKey, Function, Policy, Schema, Table, Trigger
from generator.model.naming import quote_ident, quote_literal, shorten


def shared_references(schema: Schema) -> Schema:
    if not any(fk.shared for t in schema.tables for fk in t.foreign_keys):
        return schema
    tables, functions = [], list(schema.functions)
    parents = {(fk.ref_schema, fk.ref_table): fk.shared[1] for t in schema.tables for fk in t.foreign_keys if fk.shared}
    for t in schema.tables:
        if (t.schema, t.name) in parents:
            t = _readable_shared_rows(t, parents[(t.schema, t.name)])
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


def _readable_shared_rows(t: Table, column: str) -> Table:
    """The parent with its rows of no tenant readable by the roles of its tenant isolation."""
    shared = f"{quote_ident(column)} IS NULL"
    if any(p.preset == "public_read" or (p.permissive and p.command in ("SELECT", "ALL")
                                         and " ".join((p.using or "").split()) == shared) for p in t.policies):
        return t
    isolation = next((p for p in t.policies if p.preset == "tenant_isolation"), None)
    if isolation is None:
        return t
    policy = Policy(shorten(f"{t.name}_shared_rows"), "SELECT", isolation.roles, shared, None, preset="shared_rows",
                    description="rows of no tenant are shared by every tenant (same_tenant: shared references them)",
                    loc=isolation.loc)
    return replace(t, policies=tuple(sorted(t.policies + (policy,), key=lambda p: p.name)))
