"""Protected columns: a column that an admin or role predicate reads (or that the spec marks
`protected`) can be changed, or set on insert to anything but its default, only through a
declared path: the roles in `writable_by`, `admin` (users the admin predicate accepts), and always
the table owner (migrations, seeds, SECURITY DEFINER functions it owns), superusers and BYPASSRLS
roles (Supabase's service_role). A BEFORE INSERT OR UPDATE OF <columns> trigger enforces it, with
SQLSTATE 42501 (insufficient_privilege), whatever grants the application roles hold."""
from __future__ import annotations

import re
from dataclasses import replace

from generator.model import Column, Function, Protection, Schema, Table, Trigger
from generator.model.access import _CURRENT_USER, condition_columns, pinned_by_isolation
from generator.model.grants import grant_lookups
from generator.model.naming import quote_ident, quote_literal, shorten
from generator.resolve.columns_pass import EntityColumns
from generator.resolve.context import Ctx
from generator.spec.schema import ProtectedFull

PRIVILEGED = ("EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = current_user "
              "AND (r.rolsuper OR r.rolbypassrls))\n"
              "     OR pg_catalog.pg_has_role(current_user, (SELECT c.relowner FROM pg_catalog.pg_class c "
              "WHERE c.oid = TG_RELID), 'MEMBER')")


def protect(ctx: Ctx, schema: Schema, all_cols: dict[str, EntityColumns]) -> Schema:
    """Add the guard function and trigger of every table with protected columns."""
    read = condition_columns(schema)
    admin = schema.auth.admin_function if schema.auth else None
    identities = _grant_identities(schema)
    tables, functions = [], list(schema.functions)
    for t in schema.tables:
        cols = all_cols.get(t.meta.entity or "")
        guarded = _protections(ctx, t, cols, read.get(t.key, {}), admin) if cols else []
        guarded += _identity_guards(t, identities.get(t.key, {}), guarded, admin)
        if not guarded:
            tables.append(t)
            continue
        fn = _guard_function(ctx, t, guarded, admin)
        trigger = Trigger(shorten(f"{t.name}_guard"), f"{quote_ident(fn.schema)}.{quote_ident(fn.name)}", "BEFORE",
                          ("INSERT", "UPDATE"), "ROW", columns=tuple(p.column for p in guarded), loc=t.loc)
        functions.append(fn)
        tables.append(replace(t, triggers=tuple(sorted(t.triggers + (trigger,), key=lambda x: x.name)),
                              meta=replace(t.meta, protected=tuple(guarded))))
    return replace(schema, tables=tuple(tables), functions=tuple(sorted(functions, key=lambda f: f.key)))


def _protections(ctx: Ctx, t: Table, cols: EntityColumns, read: dict[str, list[str]], admin: str | None
                 ) -> list[Protection]:
    out = []
    sd = t.meta.soft_delete
    own = {sd.column, sd.by} if sd else set()        # the soft-delete trigger guards those
    for name, info in cols.columns.items():
        declared = info.full.protected
        if name in own:
            continue
        col = t.column(name)
        if col is None or declared is False or col.generated:
            continue
        if declared is None and name not in read:
            continue
        if declared is None and name == t.meta.tenant_column and pinned_by_isolation(t):
            continue        # tenant isolation's WITH CHECK decides it (a guard would stop every INSERT)
        if isinstance(declared, ProtectedFull):
            writable = tuple(declared.writable_by)
            if "admin" in writable and admin is None:
                ctx.error("RS120", f"'{name}' may be written by `admin`, but the spec has no admin predicate",
                          info.path, "add `auth: {admin: …}`, or name roles in writable_by")
        else:   # by default admins may, where the spec has an admin predicate
            writable = ("admin",) if admin else ()
        why = "; ".join(read.get(name, [])) or "declared protected"
        out.append(Protection(name, writable, f"read by {why}" if name in read else why))
    return out


def _grant_identities(schema: Schema) -> dict[tuple[str, str], dict[str, str]]:
    """table key -> identity column -> the helper it grants (model.grants)."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for g in grant_lookups(schema):
        t = schema.tables_by_key.get(g.table)
        for col, _expr in g.identity:
            out.setdefault(g.table, {}).setdefault(col, g.shown)
            # a key whose parent's change cascades into the column: the referential action runs as
            # the owner, past the column's own guard, so the parent's column is guarded too
            for fk in (t.foreign_keys if t is not None else ()):
                if col in fk.columns and fk.on_update in ("CASCADE", "SET NULL", "SET DEFAULT"):
                    parent = fk.ref_columns[fk.columns.index(col)]
                    out.setdefault((fk.ref_schema, fk.ref_table), {}).setdefault(parent, g.shown)
    return out


def _identity_guards(t: Table, identity: dict[str, str], guarded: list[Protection], admin: str | None
                     ) -> list[Protection]:
    """A row that grants access to whoever it names may not be re-pointed at someone else (a user
    would take over an admin's or a member's row) unless the table's own policies pin the column
    to the current user on UPDATE. INSERT stays free: who may add such rows is the policies' call
    (lint RL019, verify's self-grant attack). A parent key whose ON UPDATE action reaches such a column
    is guarded the same way."""
    have = {p.column for p in guarded}
    out = []
    for col, call in sorted(identity.items()):
        c = t.column(col)
        if col in have or col == t.meta.tenant_column or c is None or c.generated or _pinned_on_update(t, col, admin):
            continue
        out.append(Protection(col, ("admin",) if admin else (), f"identifies whose row grants {call}",
                              on_insert=False))
    return out


def _pinned_on_update(t: Table, col: str, admin: str | None) -> bool:
    """Every UPDATE a non-admin may make keeps `col` the current user's: a restrictive UPDATE
    policy pins it, or every permissive one but the admin's does. Read from the policy text, not
    from presets, so an imported schema resolves the same."""
    updates = [p for p in t.policies if p.command in ("ALL", "UPDATE")]
    if any(not p.permissive and _pins(p, col) for p in updates):
        return True
    permissive = [p for p in updates if p.permissive and not _admin_only(p, admin) and p.preset != "soft_delete"]
    return bool(permissive) and all(_pins(p, col) for p in permissive)


def _pins(p, col: str) -> bool:
    text = p.check or p.using or ""
    pattern = rf'(?<![\w."]){re.escape(col)}"?\s*=\s*\(\s*SELECT\s'
    return any(_CURRENT_USER.search(text[m.end():m.end() + 80]) for m in re.finditer(pattern, text, re.IGNORECASE))


def _admin_only(p, admin: str | None) -> bool:
    if p.preset == "admin_full_access":
        return True
    if not admin:
        return False
    name = admin.rpartition(".")[2]
    calls = {f"(SELECT {admin}())", f"(SELECT {name}())"}
    return all(" ".join((x or "").split()) in calls for x in (p.using, p.check) if x) and bool(p.using or p.check)


def _changed(col: Column, on_insert: bool = True) -> str:
    """SQL that is true when the row sets `col` to something it may not: on INSERT anything but
    its default (NULL without one), on UPDATE anything but its old value."""
    q = f"NEW.{quote_ident(col.name)}"
    if not on_insert:
        return f"(TG_OP = 'UPDATE' AND {q} IS DISTINCT FROM OLD.{quote_ident(col.name)})"
    default = f"({col.default})" if col.default is not None else "NULL"
    return (f"(CASE WHEN TG_OP = 'INSERT' THEN {q} IS DISTINCT FROM {default}\n"
            f"             ELSE {q} IS DISTINCT FROM OLD.{quote_ident(col.name)} END)")


def _allowed(p: Protection, admin: str | None) -> str:
    parts = []
    for role in p.writable_by:
        if role == "admin":
            if admin:
                sch, _, name = admin.partition(".")
                parts.append(f"(SELECT {quote_ident(sch)}.{quote_ident(name)}())")
        else:
            parts.append(f"pg_catalog.pg_has_role(current_user, {quote_literal(role)}, 'MEMBER')")
    return " OR ".join(parts) or "false"


def _guard_function(ctx: Ctx, t: Table, guarded: list[Protection], admin: str | None) -> Function:
    checks = []
    for p in guarded:
        col = t.column(p.column)
        who = ", ".join(p.writable_by) or "nobody"
        message = quote_literal(f"column {p.column} of {t.name} is protected: % may not set it")
        hint = quote_literal(f"only the table owner, BYPASSRLS roles and {who} may change it")
        checks.append(
            f"  IF {_changed(col, p.on_insert)}\n     AND NOT ({_allowed(p, admin)}) THEN\n"
            f"    RAISE EXCEPTION {message}, current_user USING ERRCODE = '42501', HINT = {hint};\n  END IF;\n")
    body = (f"\nBEGIN\n  IF {PRIVILEGED} THEN\n    RETURN NEW;\n  END IF;\n" + "".join(checks) + "  RETURN NEW;\nEND;\n")
    cols = ", ".join(p.column for p in guarded)
    return Function(name=shorten(f"{t.name}_guard"), returns="trigger", body=body, schema=t.schema,
                    language="plpgsql", search_path="''", execute=(),
                    revoke_from=("public",) + _client_roles(ctx),
                    comment=f"Trigger function: only declared paths may change {cols} (protected columns).")


def _client_roles(ctx: Ctx) -> tuple[str, ...]:
    """Roles that default privileges may have given EXECUTE on a new function (Supabase)."""
    return ("anon", "authenticated", "service_role") if ctx.flavor == "supabase" else ()
