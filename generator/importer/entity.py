"""One imported table as a spec entity: columns (compact where possible), keys, indexes,
traits, tenancy, policies (presets where exact, raw otherwise), RLS, grants and triggers."""
from __future__ import annotations

from dataclasses import dataclass, replace

from generator.importer.columns import column_entry
from generator.importer.context import ImportCtx, table_obj
from generator.importer.indexes import plan_indexes
from generator.importer.keys import Keys, expr_columns, plan_keys, valid_expression
from generator.importer.protection import privilege_entries, protection_entries
from generator.importer.recognize import recognize_policy
from generator.resolve.tables import SUPABASE_DEFAULT_GRANTS
from generator.importer.supabase import SUPABASE_ROLES
from generator.importer.tenancy import Tenancy
from generator.model import REALTIME_PUBLICATION, Column, Policy, Table, Trigger
from generator.model.naming import qualified, quote_ident, shorten

ALL_PRIVILEGES = ("DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE")


@dataclass
class Planned:
    """Inputs decided for every table before any entity is written."""

    columns: list[tuple[Column, str]]        # carried columns and their type text
    traits: tuple[list[str], set[str], set[str]]
    carried: dict[tuple[str, str], dict[str, Column]]
    functions: set[str]                      # function names carried under functions:
    tenancy: Tenancy | None
    admin_table: tuple[str, str] | None
    keys: Keys
    auto_indexes: set[str]                   # FK indexes the resolver adds by itself


def table_keys(ctx: ImportCtx, t: Table, columns: list[tuple[Column, str]], trait_cols: set[str],
               carried: dict[tuple[str, str], dict[str, Column]]) -> Keys:
    return plan_keys(ctx, t, {c.name: c for c, _ in columns}, trait_cols, carried)


def entity_spec(ctx: ImportCtx, t: Table, plan: Planned) -> tuple[dict, dict[str, list[str]]]:
    """(entity mapping without grants, its grants)."""
    cols = {c.name: c for c, _ in plan.columns}
    traits, trait_cols, trait_triggers = plan.traits
    keys = plan.keys
    from generator.importer.keys import inherited_columns
    visible = set(cols) | set(inherited_columns(ctx, t, plan.carried))
    indexes, index_flags = plan_indexes(ctx, t, visible, trait_cols, plan.auto_indexes)
    for c in index_flags:
        keys.flags[c] = replace(keys.flags[c], index=True)
    for c, value in protection_entries(ctx, t, ctx.guards, plan.admin_table is not None).items():
        if c in keys.flags:
            keys.flags[c] = replace(keys.flags[c], protected=value)
    privileges, table_extra = privilege_entries(t)
    for c, value in privileges.items():
        if c in keys.flags:
            keys.flags[c] = replace(keys.flags[c], privileges=value)
    out: dict = {}
    if t.name != ctx.table_name(ctx.key_of(t)):
        out["table"] = t.name
    if t.schema != ctx.main:
        out["schema"] = t.schema
    if t.comment:
        out["description"] = t.comment
    if traits:
        out["traits"] = traits
    tenant_col = _tenant(ctx, t, plan, out)
    columns = {c.name: column_entry(c, text, keys.flags[c.name])
               for c, text in plan.columns if c.name not in trait_cols}
    _omit_auto_tenant_column(ctx, t, plan, columns, tenant_col)
    out["columns"] = columns
    for k, v in (("primary_key", keys.primary_key), ("foreign_keys", keys.foreign_keys), ("unique", keys.uniques),
                 ("checks", keys.checks), ("indexes", indexes)):
        if v:
            out[k] = v
    out.update(table_properties(ctx, t, set(cols)))
    policies = _policies(ctx, t, plan, set(cols))
    if policies:
        out["policies"] = policies
    count = len(policies) + (1 if "tenant" in out and not any(
        isinstance(p, dict) and p.get("preset") == "tenant_isolation" for p in policies) else 0)
    _rls(ctx, t, out, count, plan.admin_table == t.key)
    soft = ctx.soft_deleted.get(t.key)
    if soft and soft.rls_off:          # RLS only hid soft-deleted rows: the spec says nothing
        out.pop("rls", None)
    triggers = _triggers(ctx, t, plan, trait_triggers, set(cols))
    if triggers:
        out["triggers"] = triggers
    if realtime_of(ctx.flavor, t):
        out["realtime"] = True
    return out, _grants(ctx, t.grants, table_extra)


def table_properties(ctx: ImportCtx, t: Table, cols: set[str]) -> dict:
    """exclude, unlogged, with, partitioning, inheritance, CLUSTER ON, REPLICA IDENTITY."""
    from generator.db.types import split_qualified
    out: dict = {}
    excludes = []
    for x in t.exclusions:
        entry: dict = {"name": x.name, "using": x.using,
                       "elements": [[e.column or f"({e.expression})", e.operator] for e in x.elements]}
        ops = {e.column or f"({e.expression})": e.opclass for e in x.elements if e.opclass}
        if ops:
            entry["ops"] = ops
        for k in ("where", "deferrable", "initially_deferred"):
            if getattr(x, k):
                entry[k] = getattr(x, k)
        if x.include:
            entry["include"] = list(x.include)
        excludes.append(entry)
    if excludes:
        out["exclude"] = excludes
    if t.unlogged:
        out["unlogged"] = True
    if t.options:
        out["with"] = dict(t.options)
    if t.partition_by:
        out["partition_by"] = t.partition_by

    def entity(name: str) -> str:
        schema, table = split_qualified(name)
        return ctx.keys.get((schema or "public", table), name)
    if t.partition_of:
        out["partition_of"] = entity(t.partition_of)
        if t.partition_bound != "DEFAULT":
            out["bound"] = t.partition_bound
    if t.inherits:
        out["inherits"] = [entity(p) for p in t.inherits]
    if t.cluster_on:
        out["cluster_on"] = t.cluster_on
    if t.replica_identity:
        out["replica_identity"] = t.replica_identity.lower() if t.replica_identity in ("FULL", "NOTHING") \
            else t.replica_identity
    return out


def realtime_of(flavor: str, t: Table) -> bool:
    """A Supabase table in Supabase Realtime's publication that `realtime: true` can say."""
    return flavor == "supabase" and REALTIME_PUBLICATION in t.publications and t.primary_key is not None \
        and t.replica_identity != "NOTHING"


def _tenant(ctx: ImportCtx, t: Table, plan: Planned, out: dict) -> str | None:
    tn = plan.tenancy
    if tn is None or t.key not in tn.policies:
        return None
    out["tenant"] = True
    return tn.column if t.key != tn.root else None


def _omit_auto_tenant_column(ctx, t: Table, plan: Planned, columns: dict, col: str | None) -> None:
    """Leave the tenant column to `tenant: true` when it is exactly what that would add."""
    if col is None or col not in columns:
        return
    names = list(columns)
    pos = 1 if names and names[0] == "id" else 0
    if names.index(col) == pos and columns[col] == f"uuid! -> {ctx.keys[plan.tenancy.root]} cascade":
        del columns[col]


def _policies(ctx: ImportCtx, t: Table, plan: Planned, cols: set[str]) -> list:
    out, obj = [], table_obj(t)
    lost = {c.name for c in t.columns} - cols
    tenant_policy = plan.tenancy.policies.get(t.key) if plan.tenancy else None
    soft = ctx.soft_deleted.get(t.key)
    for p in t.policies:
        if soft and p.name in soft.policies:
            continue
        if p is tenant_policy:
            entry = plan.tenancy.entry(ctx, t)
            if entry:
                out.append(entry)
            ctx.roles.update(p.roles)
            continue
        exprs = [x for x in (p.using, p.check) if x]
        if not exprs:
            ctx.lose(obj, f"policy {p.name}", "a policy with neither USING nor WITH CHECK", "not imported")
            continue
        if any(expr_columns(x, lost) for x in exprs) or not all(valid_expression(x) for x in exprs):
            ctx.lose(obj, f"policy {p.name}", "a policy expression the spec cannot hold (unparsable, or on a "
                     "column not imported)", "not imported" + (" (a restrictive policy: access widens)"
                                                               if not p.permissive else ""))
            continue
        ctx.roles.update(p.roles)
        out.append(recognize_policy(ctx, t, p, cols) or _raw_policy(ctx, p))
    return _merge_owner(out)


_ORDER = ("select", "insert", "update", "delete")


def _merge_owner(entries: list) -> list:
    """Unnamed owner presets on one column for the same roles become one entry listing commands."""
    groups: dict = {}
    for e in entries:
        if isinstance(e, dict) and e.get("preset") == "owner" and "name" not in e and e.get("for") in _ORDER:
            groups.setdefault((e.get("column"), tuple(e.get("to", ()))), []).append(e)
    out = []
    for e in entries:
        group = groups.get((e.get("column"), tuple(e.get("to", ())))) if isinstance(e, dict) else None
        if not group or e not in group or len(group) == 1:
            out.append(e)
        elif e is group[0]:
            merged = {**e, "for": sorted((g["for"] for g in group), key=_ORDER.index)}
            out.append({k: merged[k] for k in ("preset", "for", "column", "to") if k in merged})
    return out


def _raw_policy(ctx: ImportCtx, p: Policy) -> dict:
    out: dict = {"name": p.name}
    if p.command != "ALL":
        out["for"] = p.command.lower()
    if tuple(sorted(p.roles)) != tuple(sorted(ctx.default_roles)):
        out["to"] = list(p.roles)
    if p.using is not None:
        out["using"] = p.using
    if p.check is not None:
        out["check"] = p.check
    if not p.permissive:
        out["restrictive"] = True
    return out


def _rls(ctx: ImportCtx, t: Table, out: dict, policies: int, admin: bool) -> None:
    want = (t.rls_enabled, t.rls_forced)
    options = [None, True, False, {"force": False}, {"enabled": False}]
    for opt in options:
        if _resolved_rls(opt, policies, admin) == want:
            if opt is not None:
                out["rls"] = opt
            return
    ctx.lose(table_obj(t), "rls", f"row level security enabled={t.rls_enabled} forced={t.rls_forced}",
             "enabled without FORCE" if t.rls_enabled else "disabled")
    out["rls"] = {"force": False} if t.rls_enabled else False


def _resolved_rls(opt, policies: int, admin: bool) -> tuple[bool, bool]:
    """What generator.resolve makes of an `rls:` value (see resolve.tables.build_table)."""
    enabled = bool(policies) if opt is None else (opt if isinstance(opt, bool) else opt.get("enabled", True))
    forced = enabled and not (isinstance(opt, dict) and not opt.get("force", True)) and not admin
    return enabled, forced


def _grants(ctx: ImportCtx, grants, extra: dict[str, set[str]] | None = None) -> dict[str, list[str]]:
    """Table privileges by role (column privileges are the columns' `privileges:`; `extra` adds
    the table privileges they are carved from); on Supabase, the resolver's default grants for
    anon/authenticated/service_role are left out, anything else for them is spelled out (even none)."""
    merged: dict[str, set[str]] = {}
    for g in grants:
        ctx.roles.add(g.role)
        merged.setdefault(g.role, set()).update(() if g.columns else g.privileges)
    for role, privs in (extra or {}).items():
        merged.setdefault(role, set()).update(privs)
    out = {r: ["all"] if privs == set(ALL_PRIVILEGES) else sorted(p.lower() for p in privs)
           for r, privs in merged.items()}
    if ctx.flavor == "supabase":
        for role in SUPABASE_ROLES:
            default = SUPABASE_DEFAULT_GRANTS[role]
            if out.get(role) == (["all"] if default == ["all"] else sorted(default)):
                del out[role]
            else:
                out.setdefault(role, [])
    return out


def _triggers(ctx: ImportCtx, t: Table, plan: Planned, skip: set[str], cols: set[str]) -> list[dict]:
    out, obj = [], table_obj(t)
    for tr in t.triggers:
        if tr.name in skip or (t.schema, t.name, tr.name) in ctx.absorbed_triggers:
            continue
        if tr.when and (expr_columns(tr.when, {c.name for c in t.columns} - cols) or not valid_expression(tr.when)):
            ctx.lose(obj, f"trigger {tr.name}", "a trigger WHEN the spec cannot hold", "not imported")
            continue
        out.append(trigger_entry(ctx, t.name, tr, plan.functions))
    return out


_FIRING = {"D": "disabled", "R": "replica", "A": "always"}


def trigger_entry(ctx: ImportCtx, table: str, tr: Trigger, functions: set[str] | None) -> dict:
    """A trigger as the spec writes it; its function by spec key when the spec holds it."""
    from generator.db.types import split_qualified
    schema, name = split_qualified(tr.function)
    schema = schema or "public"
    key = next((k for (s, n, _), k in ctx.function_keys.items() if (s, n) == (schema, name)), None)
    fn = key if key is not None and schema == ctx.main and key == name else f"{quote_ident(schema)}.{quote_ident(name)}"
    events = [e.lower() for e in tr.events]
    entry: dict = {"function": fn}
    if tr.name != shorten(f"{table}_{'_'.join(events)}_{fn.split('.')[-1]}"):
        entry["name"] = tr.name
    if tr.timing != "BEFORE":
        entry["timing"] = tr.timing.lower()
    if events != ["update"]:
        entry["events"] = events
    if tr.level != "ROW":
        entry["level"] = "statement"
    if tr.when:
        entry["when"] = tr.when
    if tr.columns:
        entry["columns"] = list(tr.columns)
    if tr.args:
        entry["args"] = list(tr.args)
    for k in ("old_table", "new_table"):
        if getattr(tr, k):
            entry[k] = getattr(tr, k)
    for k in ("constraint", "deferrable", "initially_deferred"):
        if getattr(tr, k):
            entry[k] = True
    if tr.enabled in _FIRING:
        entry["enabled"] = _FIRING[tr.enabled]
    return entry
