"""Sugar recognised in an imported database: traits (timestamps, created_at, soft_delete,
versioned), the admin check and policy presets. Each is used only where the spec's sugar
resolves to exactly what the database holds (compared after normalizing the SQL)."""
from __future__ import annotations

from dataclasses import replace

import re

from generator.db.types import split_qualified
from generator.importer.context import ImportCtx
from generator.model import Column, Function, Policy, Table
from generator.model.naming import qualified, quote_ident, quote_literal, shorten
from generator.postgres.normalize import normalize_expression, normalize_function
from generator.resolve.trait_functions import trait_function as _trait_function

_ADMIN_BODY = re.compile(r"^\s*SELECT EXISTS \(\s*SELECT 1 FROM (?P<table>.+?)\s+WHERE (?P<col>\S+) = (?P<user>.+?)"
                         r"\n\s+AND \((?P<where>.*)\)\n\s*\);\s*$", re.DOTALL)
_SETTING = re.compile(r"current_setting\('([^']+)'")
_PERSONAL = re.compile(r"\bauth\s*\.|current_setting|current_user|session_user", re.IGNORECASE)
_TRAIT_COLUMNS = {
    "timestamps": (("created_at", "timestamp with time zone", False, "now()"),
                   ("updated_at", "timestamp with time zone", False, "now()")),
    "created_at": (("created_at", "timestamp with time zone", False, "now()"),),
    "soft_delete": (("deleted_at", "timestamp with time zone", True, None),),
    "versioned": (("version", "integer", False, "1"),),
}
_TRAIT_TOUCH = {"timestamps": ("touch", "updated_at"), "versioned": ("version", "version")}


def same_expr(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return normalize_expression(a) == normalize_expression(b)


def setting_expr(setting: str) -> str:
    return f"NULLIF(current_setting({quote_literal(setting)}, true), '')::uuid"


# ---------------------------------------------------------------- traits

def trait_function(main: str, kind: str, column: str, prefix: str = "") -> Function:
    """The trigger function a touch/version trait generates (as generator.resolve makes it)."""
    return _trait_function(main, prefix, kind, column)


def same_function(a: Function, b: Function) -> bool:
    """Equal as gen would generate them, who may execute them aside (the resolver sets that)."""
    return replace(normalize_function(a), execute=None) == replace(normalize_function(b), execute=None)


def function_present(ctx: ImportCtx, fn: Function) -> bool:
    """`fn` is in the database as gen generates it."""
    return any(same_function(fn, f) for f in ctx.model.functions)


def _column_is(col: Column, spec: tuple) -> bool:
    name, base, nullable, default = spec
    return (col.name == name and col.type.base == base and not col.type.modifiers and not col.type.array_dims
            and not col.type.enum and col.nullable == nullable and col.default == default and not col.identity
            and not col.generated and not col.comment and not col.collation)


def _trait_trigger(ctx: ImportCtx, t: Table, trait: str) -> str | None:
    """Name of the table's trigger the trait would create, when it is there exactly."""
    kind, column = _TRAIT_TOUCH[trait]
    fn = trait_function(ctx.main, kind, column, ctx.prefix)
    name = shorten(f"{t.name}_{'set' if kind == 'touch' else 'bump'}_{column}")
    for tr in t.triggers:
        if (tr.name == name and tr.function == qualified(fn.schema, fn.name) and tr.timing == "BEFORE"
                and tr.events == ("UPDATE",) and tr.level == "ROW" and tr.when is None and function_present(ctx, fn)):
            return name
    return None


def recognize_traits(ctx: ImportCtx, t: Table, cols: list[Column]) -> tuple[list[str], set[str], set[str]]:
    """Traits whose columns end the table, in order: (trait names, their columns, their triggers)."""
    if t.key in ctx.raw_tables:
        return [], set(), set()
    found, columns, triggers, end = [], set(), set(), len(cols)
    fk_columns = {c for fk in t.foreign_keys for c in fk.columns}
    while end > 0:
        for trait in ("timestamps", "soft_delete", "versioned", "created_at"):
            specs = _TRAIT_COLUMNS[trait]
            tail = cols[end - len(specs):end] if end >= len(specs) else []
            if not tail or not all(_column_is(c, s) for c, s in zip(tail, specs)):
                continue
            if any(c.name in fk_columns for c in tail):
                continue
            trigger = _trait_trigger(ctx, t, trait) if trait in _TRAIT_TOUCH else ""
            if trigger is None:
                continue
            if trait == "soft_delete":
                from generator.importer import soft_delete
                machinery = soft_delete.recognize(ctx, t)
                if machinery is None:          # a plain deleted_at column: the trait would add more
                    continue
                soft_delete.remember(ctx, t, machinery)
            found.append(trait)
            columns |= {c.name for c in tail}
            if trigger:
                triggers.add(trigger)
                kind, column = _TRAIT_TOUCH[trait]
                fn = trait_function(ctx.main, kind, column, ctx.prefix)
                ctx.generated_functions.add((fn.schema, fn.name))
            end -= len(specs)
            break
        else:
            break
    return list(reversed(found)), columns, triggers


# ---------------------------------------------------------------- auth and presets

def recognize_admin(ctx: ImportCtx) -> None:
    """`auth.admin` from an `is_admin()` function exactly as the admin_full_access preset makes it."""
    admin = shorten(f"{ctx.prefix}is_admin")
    fn = next((f for f in ctx.model.functions if (f.schema, f.name, f.args) == (ctx.main, admin, "")), None)
    m = _ADMIN_BODY.match(fn.body) if fn else None
    if m is None:
        return
    schema, table = split_qualified(m.group("table"))
    key = ctx.keys.get((schema or "public", table))
    user_col = split_qualified(m.group("col"))[1]
    auth = _user_config(ctx, m.group("user").strip())
    if key is None or auth is None:
        return
    where = m.group("where")
    body = (f"\n  SELECT EXISTS (\n    SELECT 1 FROM {quote_ident(schema or 'public')}.{quote_ident(table)}\n"
            f"    WHERE {quote_ident(user_col)} = {m.group('user').strip()}\n      AND ({where})\n  );\n")
    want = Function(name=admin, returns="boolean", body=body, schema=ctx.main, language="sql",
                    volatility="STABLE", security_definer=True, search_path="''",
                    comment="True when the current user is an admin (generated for the admin_full_access preset).")
    if not same_function(want, fn):
        return
    ctx.auth = {**auth, "admin": {"entity": key, "user_column": user_col, "where": where}}
    ctx.generated_functions.add((ctx.main, admin))


def _user_config(ctx: ImportCtx, user: str) -> dict | None:
    """The auth: settings under which the spec's current-user expression is `user`."""
    if ctx.flavor == "supabase":
        return {} if same_expr(user, "auth.uid()") else {"current_user": user}
    m = _SETTING.search(user)
    if m and same_expr(user, setting_expr(m.group(1))):
        return {} if m.group(1) == "app.user_id" else {"user_setting": m.group(1)}
    return {"current_user": user}


def current_user(ctx: ImportCtx) -> str:
    if ctx.auth.get("current_user"):
        return ctx.auth["current_user"]
    if ctx.flavor == "supabase":
        return "auth.uid()"
    return setting_expr(ctx.auth.get("user_setting", "app.user_id"))


def _named(entry: dict, p: Policy, default_name: str, roles: tuple[str, ...], default_roles) -> dict:
    if p.name != shorten(default_name):
        entry["name"] = p.name
    if tuple(sorted(roles)) != tuple(sorted(default_roles)):
        entry["to"] = list(roles)
    return entry


def recognize_policy(ctx: ImportCtx, t: Table, p: Policy, columns: set[str]) -> dict | None:
    """The preset entry reproducing policy `p` exactly, or None."""
    if not p.permissive or t.key in ctx.raw_tables:
        return None
    admin = _admin(ctx, t, p)
    if admin is not None:
        return admin
    owner = _owner(ctx, t, p, columns)
    if owner is not None:
        return owner
    return _public_read(ctx, t, p)


def _admin(ctx: ImportCtx, t: Table, p: Policy) -> dict | None:
    if not ctx.auth.get("admin") or p.command != "ALL":
        return None
    cond = f"(SELECT {quote_ident(ctx.main)}.{quote_ident(shorten(ctx.prefix + 'is_admin'))}())"
    if same_expr(p.using, cond) and same_expr(p.check, cond):
        return _named({"preset": "admin_full_access"}, p, f"{t.name}_admin_all", p.roles, ctx.default_roles)
    return None


def _owner(ctx: ImportCtx, t: Table, p: Policy, columns: set[str]) -> dict | None:
    if ctx.flavor != "supabase" and not ctx.auth:
        m = _SETTING.search(p.using or p.check or "")
        if m and m.group(1) != "app.user_id" and _owner_column(p, setting_expr(m.group(1)), columns):
            ctx.auth = {"user_setting": m.group(1)}
    col = _owner_column(p, current_user(ctx), columns)
    if col is None:
        return None
    cmd = p.command.lower()
    entry: dict = {"preset": "owner"}
    if cmd != "all":
        entry["for"] = cmd
    if col != "user_id":
        entry["column"] = col
    return _named(entry, p, f"{t.name}_owner_{cmd}", p.roles, ctx.default_roles)


def _owner_column(p: Policy, user: str, columns: set[str]) -> str | None:
    for col in sorted(columns):
        cond = f"{quote_ident(col)} = (SELECT {user})"
        using = None if p.command == "INSERT" else cond
        check = None if p.command in ("SELECT", "DELETE") else cond
        if same_expr(p.using, using) and same_expr(p.check, check):
            return col
    return None


def _public_read(ctx: ImportCtx, t: Table, p: Policy) -> dict | None:
    default = ("anon", "authenticated") if ctx.flavor == "supabase" else ("public",)
    if p.command != "SELECT" or p.check is not None or p.using is None or _PERSONAL.search(p.using):
        return None
    if tuple(sorted(p.roles)) not in (tuple(sorted(default)), ("public",)):
        return None
    entry: dict = {"preset": "public_read"}
    if not same_expr(p.using, "true"):
        entry["where"] = p.using
    return _named(entry, p, f"{t.name}_public_read", p.roles, default)
