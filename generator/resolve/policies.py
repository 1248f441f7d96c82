"""RLS policy presets (tenant isolation, owner, admin full access, public read) and raw
policies, resolved into plain model Policy objects; also the helper functions presets need."""
from __future__ import annotations

import difflib

from generator.model import Auth, Function, Policy, Tenancy
from generator.model.naming import quote_ident, quote_literal, shorten
from generator.resolve.context import Ctx
from generator.spec.schema import PolicyFull

ALL_COMMANDS = ("select", "insert", "update", "delete")


def tenancy_model(ctx: Ctx) -> Tenancy | None:
    t = ctx.spec.tenancy
    if t is None:
        return None
    info = ctx.entities.get(t.root)
    root = info.table if info else t.root
    if t.current:
        current, setting = t.current, None
    else:
        setting = t.setting or f"app.{t.column}"
        # Fail closed: unset -> NULL, '' (after SET LOCAL ends or RESET) -> NULL, never a cast error.
        current = f"NULLIF(current_setting({quote_literal(setting)}, true), '')::uuid"
    return Tenancy(root=root, column=t.column, current=current, setting=setting)


def auth_model(ctx: Ctx) -> Auth:
    """The resolved auth facts, for verify and docs: who the current user is, and the admin lookup."""
    from generator.resolve.context import user_setting_of
    admin = ctx.spec.auth.admin if ctx.spec.auth else None
    fn = next((f for f in ctx.functions.values() if f.name.endswith("is_admin")), None)
    info = ctx.entities.get(admin.entity) if admin else None
    return Auth(current_user=ctx.current_user_expr(), user_setting=user_setting_of(ctx),
                admin_function=f"{fn.schema}.{fn.name}" if fn and admin else None,
                admin_table=(info.schema, info.table) if info else None,
                admin_user_column=admin.user_column if admin else None,
                admin_where=admin.where if admin else None)


def admin_function(ctx: Ctx) -> Function | None:
    """`<prefix>is_admin()`: SECURITY DEFINER so the admin lookup does not recurse into RLS."""
    admin = ctx.spec.auth.admin if ctx.spec.auth else None
    if admin is None:
        return None
    info = ctx.entities.get(admin.entity)
    if info is None:
        ctx.error("RS030", f"auth.admin.entity '{admin.entity}' is not an entity", ("auth", "admin", "entity"),
                  "name the entity that holds user roles, e.g. user_profiles")
        return None
    where = ctx.expr(admin.where, ("auth", "admin", "where"), "admin condition")
    user = ctx.current_user_expr()
    table = f"{quote_ident(info.schema)}.{quote_ident(info.table)}"
    body = (f"\n  SELECT EXISTS (\n    SELECT 1 FROM {table}\n    WHERE {quote_ident(admin.user_column)} = {user}"
            f"\n      AND ({where})\n  );\n")
    name = shorten(f"{ctx.prefix}is_admin")
    fn = Function(name=name, returns="boolean", body=body, schema=ctx.schema_name, language="sql",
                  volatility="STABLE", security_definer=True, search_path="''",
                  comment="True when the current user is an admin (generated for the admin_full_access preset).")
    ctx.functions[fn.key] = fn
    return fn


def _commands(for_, default: str = "all") -> list[str]:
    if for_ is None:
        return [default]
    return [for_] if isinstance(for_, str) else list(for_)


def _policy(name: str, command: str, roles, using, check, preset=None, description=None, permissive=True, loc=None,
            public=False):
    cmd = command.upper()
    if cmd == "SELECT" or cmd == "DELETE":
        check = None
    if cmd == "INSERT":
        using = None
    return Policy(name=shorten(name), command=cmd, roles=tuple(sorted(roles)), using=using, check=check,
                  permissive=permissive, preset=preset, description=description, loc=loc, public=public)


PRESETS = ("tenant_isolation", "owner", "admin_full_access", "public_read")


def resolve_policies(ctx: Ctx, entity_key: str, table: str, columns: set[str], specs: list,
                     tenant_column: str | None, owner_column: str | None, where: tuple | None = None) -> list[Policy]:
    """`where`: the path the policies come from when it is not the entity's `policies:` list."""
    out: list[Policy] = []
    for i, raw in enumerate(specs):
        path = where or ("entities", entity_key, "policies", i)
        if isinstance(raw, str) and raw not in PRESETS:   # checked before PolicyFull would refuse it
            close = difflib.get_close_matches(raw, PRESETS, n=1)
            ctx.error("RS031", f"unknown policy preset '{raw}'", path,
                      (f"did you mean '{close[0]}'? " if close else "") + "presets: " + ", ".join(PRESETS)
                      + "; or write a mapping with name/for/using/check")
            continue
        p = PolicyFull(preset=raw) if isinstance(raw, str) else raw
        loc = ctx.loc(*path)
        roles = tuple(p.to) if p.to else None
        if p.preset is None:
            out.extend(_raw(ctx, p, table, path, roles, loc))
        else:
            out.extend(_preset(ctx, p, table, columns, path, roles, loc, tenant_column, owner_column))
    out = _admins_pass_restrictions(out)
    names = {}
    for pol in out:
        if pol.name in names:
            ctx.error("RS032", f"two policies on '{table}' are named '{pol.name}'", ("entities", entity_key,
                      "policies"), "give each policy its own name:")
        names[pol.name] = pol
    return out


def _admins_pass_restrictions(policies: list[Policy]) -> list[Policy]:
    """On a table admins may do anything on (admin_full_access), a restrictive owner preset
    ("own rows within the tenant") lets them through too: RESTRICTIVE policies are ANDed with
    every permissive one, the admin's included."""
    admin = next((p for p in policies if p.preset == "admin_full_access"), None)
    if admin is None:
        return policies
    out = []
    for p in policies:
        if p.preset == "owner" and not p.permissive:
            from dataclasses import replace
            p = replace(p, using=f"({p.using}) OR {admin.using}" if p.using else None,
                        check=f"({p.check}) OR {admin.check}" if p.check else None)
        out.append(p)
    return out


def _raw(ctx: Ctx, p: PolicyFull, table: str, path: tuple, roles, loc) -> list[Policy]:
    if not p.name:
        ctx.error("RS033", "a raw policy needs a name", path, "add `name: <policy name>`")
        return []
    ctx.check_name(p.name, "policy", path)
    using = ctx.expr(p.using, path + ("using",), "policy USING")
    check = ctx.expr(p.check, path + ("check",), "policy WITH CHECK")
    cmds = _commands(p.for_)
    if len(cmds) != 1:
        ctx.error("RS034", "a raw policy applies to one command (or all)", path + ("for",),
                  "write one policy per command, or `for: all`")
        return []
    if using is None and check is None:
        ctx.error("RS035", f"policy '{p.name}' has neither using nor check", path, "add `using:` and/or `check:`")
        return []
    return [_policy(p.name, cmds[0], roles or ctx.default_roles(), using, check, None, p.description,
                    not p.restrictive, loc, p.public)]


def _preset(ctx: Ctx, p: PolicyFull, table: str, columns: set[str], path: tuple, roles, loc,
            tenant_column: str | None, owner_column: str | None) -> list[Policy]:
    preset = p.preset
    if preset == "tenant_isolation":
        tenancy = tenancy_model(ctx)
        if tenancy is None:
            ctx.error("RS036", "tenant_isolation needs a tenancy block", path,
                      "add `tenancy: {root: companies, column: company_id}` at the top of the spec")
            return []
        col = tenant_column or tenancy.column
        if col not in columns:
            ctx.error("RS037", f"tenant_isolation: table '{table}' has no column '{col}'", path,
                      "mark the entity `tenant: true` or add the tenant column")
            return []
        cond = f"{quote_ident(col)} = {ctx.wrap(tenancy.current)}"
        return [_policy(p.name or f"{table}_tenant_isolation", "ALL", roles or ctx.default_roles(), cond, cond,
                        preset, p.description or "rows of the current tenant only", not p.restrictive, loc)]
    if preset == "owner":
        col = p.column or owner_column or "user_id"
        if col not in columns:
            ctx.error("RS037", f"owner preset: table '{table}' has no column '{col}'", path,
                      "set `column:` on the policy or `owner:` on the entity")
            return []
        cond = f"{quote_ident(col)} = {ctx.wrap(ctx.current_user_expr())}"
        cmds = _commands(p.for_)
        return [_policy(p.name if (p.name and len(cmds) == 1) else f"{table}_owner_{c}", c,
                        roles or ctx.default_roles(), cond, cond, preset,
                        p.description or f"owner ({col}) may {c if c != 'all' else 'do anything'}",
                        not p.restrictive, loc)
                for c in cmds]
    if preset == "admin_full_access":
        fn = next((f for f in ctx.functions.values() if f.name.endswith("is_admin")), None) or admin_function(ctx)
        if fn is None:
            if not (ctx.spec.auth and ctx.spec.auth.admin):
                ctx.error("RS038", "admin_full_access needs `auth.admin` in the spec", path,
                          "add `auth: {admin: {entity: user_profiles, user_column: user_id, where: \"role = 'admin'\"}}`")
            return []
        cond = ctx.wrap(f"{quote_ident(fn.schema)}.{quote_ident(fn.name)}()")
        return [_policy(p.name or f"{table}_admin_all", "ALL", roles or ctx.default_roles(), cond, cond, preset,
                        p.description or "admins may do anything", not p.restrictive, loc)]
    # public_read
    where = ctx.expr(p.where, path + ("where",), "public_read where") if p.where else "true"
    if where is None:
        return []
    default = ("anon", "authenticated") if ctx.flavor == "supabase" else ("public",)
    return [_policy(p.name or f"{table}_public_read", "SELECT", roles or default, where, None, preset,
                    p.description or (f"anyone may read rows where {where}" if p.where else "anyone may read"),
                    not p.restrictive, loc)]


def warn_owner_in_tenant(ctx: Ctx, entity_key: str, table: str, policies: list[Policy]) -> None:
    """Permissive policies combine with OR: on a tenant table whose isolation is permissive, a
    permissive owner policy lets nobody less in. Say so; `restrictive: true` is what was meant."""
    if not any(p.preset == "tenant_isolation" and p.permissive for p in policies):
        return
    for pol in policies:
        if pol.preset == "owner" and pol.permissive:
            ctx.diags.add("RS100", f"owner policy '{pol.name}' on tenant table '{table}' restricts nothing: "
                          "permissive policies combine with OR, and tenant isolation already lets every "
                          "member of the tenant in", pol.loc, f"entities.{entity_key}.policies",
                          "add `restrictive: true` to the owner policy to mean 'own rows within the tenant'",
                          severity="warning")
