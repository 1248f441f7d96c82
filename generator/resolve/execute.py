"""Who may call each function: what the spec says (`execute:`), else nobody but the owner for
trigger functions (a trigger runs its function without an EXECUTE check) and, for SECURITY DEFINER
functions, exactly the roles of the policies that call them (the application roles; never PUBLIC
or anon unless a policy for them calls it). Other functions keep PostgreSQL's default."""
from __future__ import annotations

from dataclasses import replace

from generator.model import Function, Schema
from generator.model.access import policy_functions
from generator.resolve.context import Ctx

CLIENT_ROLES = ("anon", "authenticated", "service_role")


def function_access(ctx: Ctx, schema: Schema) -> Schema:
    callers: dict[tuple, set[str]] = {}
    for t in schema.tables:
        for p in t.policies:
            for f in policy_functions(schema, p):
                callers.setdefault(f.key, set()).update(p.roles)
    revoke = ("public",) + (CLIENT_ROLES if ctx.flavor == "supabase" else ())
    functions = tuple(_access(ctx, f, callers.get(f.key), revoke) for f in schema.functions)
    return replace(schema, functions=functions)


def _access(ctx: Ctx, f: Function, callers: set[str] | None, revoke: tuple[str, ...]) -> Function:
    declared = next((d for key, d in ctx.spec.functions.items()
                     if ((d.schema_ or ctx.schema_name), d.name or key, d.args) == (f.schema, f.name, f.args)), None)
    if declared is not None and declared.execute == "default":
        return replace(f, execute=None)
    if declared is not None and declared.execute is not None:
        return replace(f, execute=tuple(sorted(set(declared.execute))), revoke_from=revoke)
    if f.execute is not None:                      # set by whoever generated it (guards)
        return replace(f, revoke_from=f.revoke_from or revoke)
    if f.returns.strip().lower() == "trigger" and declared is None:
        return replace(f, execute=(), revoke_from=revoke)
    if f.security_definer:
        roles = callers or set(ctx.default_roles())
        return replace(f, execute=tuple(sorted(roles)), revoke_from=revoke)
    return f
