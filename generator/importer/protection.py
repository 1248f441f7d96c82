"""Protected columns and column privileges in an imported database: gen's guard triggers
(`<table>_guard`, BEFORE INSERT OR UPDATE OF <columns>) become `protected:` on their columns;
a column an access predicate reads that nothing guards is written `protected: false` (what the
database does today; `gen lint` reports it); column privileges become `privileges:`."""
from __future__ import annotations

import re

from generator.importer.context import ImportCtx, memo_of
from generator.model import Table, Trigger
from generator.model.access import condition_columns
from generator.model.naming import shorten

_BLOCK = re.compile(r"NEW\.(\"(?:[^\"]|\"\")+\"|\w+) IS DISTINCT FROM OLD\.\S+ END\)\s*\n\s*AND NOT \((.*?)\) THEN",
                    re.DOTALL)
_UPDATE_ONLY = re.compile(r"\(TG_OP = 'UPDATE' AND NEW\.(\"(?:[^\"]|\"\")+\"|\w+) IS DISTINCT FROM OLD\.\S+\)\s*\n"
                          r"\s*AND NOT \((.*?)\) THEN", re.DOTALL)
_ROLE = re.compile(r"pg_has_role\(current_user, '((?:[^']|'')+)', 'MEMBER'\)")
_ADMIN = re.compile(r"\(SELECT [^()]+\(\)\)")


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def recognize_guards(ctx: ImportCtx) -> dict[tuple[str, str], dict[str, tuple[str, ...] | None]]:
    """table key -> protected column -> writable_by (None: guarded on UPDATE only, a grant row's
    identity column), for tables guarded as gen guards them. The guard function is left to the
    resolver (generated) and its trigger absorbed."""
    out: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {}
    functions = {(f.schema, f.name): f for f in ctx.model.functions}
    for t in ctx.model.tables:
        name = shorten(f"{t.name}_guard")
        tr = next((x for x in t.triggers if x.name == name), None)
        fn = functions.get((t.schema, name))
        if tr is None or fn is None or not _guard_shape(t, tr, fn):
            continue
        found = {}
        for col, allowed in _BLOCK.findall(fn.body):
            roles = [r.replace("''", "'") for r in _ROLE.findall(allowed)]
            found[_unquote(col)] = (("admin",) if _ADMIN.search(allowed) else ()) + tuple(roles)
        for col, _allowed in _UPDATE_ONLY.findall(fn.body):
            found[_unquote(col)] = None      # a grant row's identity column: the resolver derives it
        if set(found) != set(tr.columns):
            continue
        out[t.key] = found
        ctx.generated_functions.add((t.schema, name))
        ctx.absorbed_triggers.add((t.schema, t.name, name))
    return out


def _guard_shape(t: Table, tr: Trigger, fn) -> bool:
    return (tr.timing == "BEFORE" and set(tr.events) == {"INSERT", "UPDATE"} and tr.level == "ROW" and tr.columns
            and tr.when is None and tr.function.split(".")[-1].strip('"') == fn.name and fn.returns == "trigger"
            and fn.language == "plpgsql" and "is protected" in fn.body and not fn.security_definer)


def protection_entries(ctx: ImportCtx, t: Table, guards: dict, admin: bool) -> dict[str, object]:
    """column -> the `protected:` value the spec needs (absent: the resolver's default is right)."""
    guarded = guards.get(t.key, {})
    read = memo_of(ctx, "condition_columns", (ctx.model,), lambda: condition_columns(ctx.model)).get(t.key, {})
    default = ("admin",) if admin else ()
    out: dict[str, object] = {}
    for c in t.columns:
        if c.name in guarded and guarded[c.name] is None:
            continue
        if c.name in guarded:
            writable = guarded[c.name]
            if c.name in read and writable == default:
                continue
            out[c.name] = True if writable == ("admin",) else {"writable_by": list(writable)}
        elif c.name in read and not c.generated:
            out[c.name] = False
    return out


def privilege_entries(t: Table) -> tuple[dict[str, dict[str, list[str]]], dict[str, set[str]]]:
    """(column -> `privileges:` value, role -> table privileges the spec adds) that make the
    resolver grant exactly the database's column privileges. A role holding a privilege on most
    columns is written as holding it on the table, with the other columns restricted from it
    (as a spec author would: `privileges: {update: [service_role]}` on the one column)."""
    table = {g.role: set(g.privileges) for g in t.grants if not g.columns}
    column: dict[str, dict[str, set[str]]] = {}     # privilege -> column -> roles
    for g in t.grants:
        for p in g.privileges if g.columns else ():
            for c in g.columns:
                column.setdefault(p, {}).setdefault(c, set()).add(g.role)
    names = [c.name for c in t.columns]
    out: dict[str, dict[str, list[str]]] = {}
    extra: dict[str, set[str]] = {}
    for priv, per_column in sorted(column.items()):
        whole = {r for r, ps in table.items() if priv in ps}
        partial = {r for rs in per_column.values() for r in rs} - whole
        covers = {r: {c for c in names if r in per_column.get(c, ())} for r in partial}
        promoted = {r for r in partial if len(covers[r]) * 2 > len(names)}
        for r in promoted:
            extra.setdefault(r, set()).add(priv)
        for c in names:
            allowed = whole | {r for r in promoted if c in covers[r]} | {r for r in partial - promoted
                                                                         if c in covers[r]}
            needed = any(c in covers[r] for r in partial - promoted)
            if not (whole | promoted) <= allowed or needed:
                out.setdefault(c, {})[priv.lower()] = sorted(allowed)
    return out, extra
