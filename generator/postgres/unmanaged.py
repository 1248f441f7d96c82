"""What a live database holds that a spec leaves to PostgreSQL (or Supabase) on purpose, taken out
of an inspected model before it is compared with the spec: grants that Supabase's default
privileges add to its roles, and the EXECUTE privileges of functions whose access the spec does
not manage."""
from __future__ import annotations

from dataclasses import replace

from generator.model import Schema

# Roles the Supabase shim (and Supabase itself) grant privileges to by default privileges.
SUPABASE_DEFAULT_GRANTEES = ("anon", "authenticated", "service_role")


def without_unmanaged(inspected: Schema, spec: Schema) -> Schema:
    """`inspected` without what `spec` does not manage: Supabase's default table grants to a
    role the spec grants nothing on that table, and the ACL of functions the spec leaves at
    PostgreSQL's default."""
    managed = {f.key for f in spec.functions if f.execute is not None}
    functions = tuple(f if f.key in managed else replace(f, execute=None) for f in inspected.functions)
    if spec.settings.flavor != "supabase":
        return replace(inspected, functions=functions)
    declared = {t.key: {g.role for g in t.grants} for t in spec.tables}
    tables = []
    for t in inspected.tables:
        keep = tuple(g for g in t.grants
                     if g.role not in SUPABASE_DEFAULT_GRANTEES or g.role in declared.get(t.key, ()))
        tables.append(replace(t, grants=keep))
    return replace(inspected, tables=tuple(tables), functions=functions)
