"""Schema-wide objects of an import: enums, extensions, functions and views of the spec's
schema (in dependency order), roles and extra schemas; what the spec cannot hold is a loss."""
from __future__ import annotations

from generator.importer.context import ImportCtx
from generator.importer.supabase import SUPABASE_EXTENSIONS, SUPABASE_ROLES, SUPABASE_SCHEMAS
from generator.importer.unsupported import granted
from generator.model import View
from generator.resolve.expressions import ExpressionError, check_query

LANGUAGES = ("plpgsql", "sql")
_KINDS = {"p": "a procedure", "a": "an aggregate", "w": "a window function"}


def enums(ctx: ImportCtx) -> dict:
    out = {}
    for e in ctx.model.enums:
        key = ctx.enum_keys.get(e.key)
        if key is None:
            continue
        if e.schema == ctx.main and not e.comment:
            out[key] = list(e.values)
            continue
        full: dict = {"values": list(e.values)}
        if e.comment:
            full["description"] = e.comment
        if e.schema != ctx.main:
            full["schema"] = e.schema
        out[key] = full
    return out


def extensions(ctx: ImportCtx) -> list:
    out = []
    versions = {r["name"]: r for r in ctx.catalog.extensions}
    for e in ctx.model.extensions:
        obj = ("extension", e.name)
        if ctx.flavor == "supabase" and (e.name in SUPABASE_EXTENSIONS or e.schema in SUPABASE_SCHEMAS):
            ctx.lose(obj, None, f"an extension Supabase manages (in schema {e.schema})",
                     "not imported (enable it in the Supabase dashboard)", e.name not in ctx.hidden_extensions)
            continue
        row = versions.get(e.name, {})
        if row.get("default_version") and row.get("version") != row.get("default_version"):
            ctx.lose(obj, None, f"version {row['version']} (the spec cannot pin versions)",
                     f"the server's default version ({row['default_version']})")
        out.append(e.name if e.schema in (None, "public", ctx.main) else {"name": e.name, "schema": e.schema})
    return out


def functions(ctx: ImportCtx) -> dict:
    """Functions of the spec's schema the spec can hold, by name (overloads: the first only)."""
    out: dict = {}
    rows = {(r["schema"], r["name"], r["args"]): r for r in ctx.catalog.functions}
    for r in ctx.catalog.functions:
        if r["kind"] != "f":
            ctx.lose(("function", r["schema"], r["name"]), None, _KINDS.get(r["kind"], "a routine"), "not imported")
    for f in ctx.model.functions:
        obj = ("function", f.schema, f.name)
        if (f.schema, f.name) in ctx.generated_functions:
            continue
        row = next((v for k, v in rows.items() if k[:2] == (f.schema, f.name)), {})
        why = _function_problem(ctx, f, row, out)
        if why:
            ctx.lose(obj, None, why, "not imported")
            continue
        _attribute_losses(ctx, obj, row)
        entry: dict = {"returns": f.returns}
        execute = _execute(ctx, f, row.get("acl"))
        if f.args:
            entry["args"] = f.args
        entry["language"] = f.language
        if f.volatility != "VOLATILE":
            entry["volatility"] = f.volatility.lower()
        if f.security_definer:
            entry["security_definer"] = True
        if f.search_path is not None:
            entry["search_path"] = f.search_path
        if f.comment:
            entry["description"] = f.comment
        if execute is not None:
            entry["execute"] = execute
        entry["body"] = f.body
        out[f.name] = entry
    return out


def _function_problem(ctx: ImportCtx, f, row: dict, done: dict) -> str | None:
    if f.schema != ctx.main:
        return f"a function outside the spec's schema {ctx.main} (spec functions live there)"
    if f.name in done:
        return f"an overload ({f.args}) of a function already imported (spec functions are keyed by name)"
    if f.language not in LANGUAGES:
        return f"a function in language {f.language}"
    if row.get("sql_standard_body"):
        return "a SQL-standard body (BEGIN ATOMIC / RETURN)"
    return None


def _attribute_losses(ctx: ImportCtx, obj, row: dict) -> None:
    lost = []
    if row.get("strict"):
        lost.append("STRICT")
    if row.get("leakproof"):
        lost.append("LEAKPROOF")
    if row.get("parallel") and row["parallel"] != "u":
        lost.append({"s": "PARALLEL SAFE", "r": "PARALLEL RESTRICTED"}[row["parallel"]])
    if row.get("cost") is not None and float(row["cost"]) != 100:
        lost.append(f"COST {row['cost']:g}")
    if row.get("retset") and row.get("rows") is not None and float(row["rows"]) != 1000:
        lost.append(f"ROWS {row['rows']:g}")
    settings = [c for c in row.get("config") or () if not c.startswith("search_path=")]
    lost += [f"SET {c}" for c in settings]
    if lost:
        ctx.lose(obj, None, ", ".join(lost), "function without them")


def _execute(ctx: ImportCtx, f, acl) -> list[str] | str | None:
    """`execute:` of a function: its exact EXECUTE holders when not PostgreSQL's (or Supabase's)
    default; `default` for a SECURITY DEFINER function left at the default (the resolver would
    otherwise lock it down to the roles of its policies)."""
    if not _execute_changed(acl, ctx.flavor):
        return "default" if f.security_definer else None
    holders = sorted(set(f.execute or ()))
    ctx.roles.update(r for r in holders if r != "public")
    return holders


def _execute_changed(acl, flavor: str) -> bool:
    """True unless the ACL is the default: EXECUTE for PUBLIC (and, on Supabase, its roles)."""
    if acl is None:
        return False
    public = any(item.startswith("=X/") for item in acl)
    extra = granted(acl, flavor)
    return not public or bool(extra)


def views(ctx: ImportCtx) -> dict:
    out: dict = {}
    relations = {(r["schema"], r["name"]): r for r in ctx.catalog.relations}
    for v in _dependency_order(ctx, ctx.model.views):
        obj = ("view", v.schema, v.name)
        why = _view_problem(ctx, v)
        if why:
            ctx.lose(obj, None, why, "not imported")
            continue
        options = [o for o in relations.get(v.key, {}).get("options") or () if not o.startswith("security_invoker")]
        if options:
            ctx.lose(obj, None, f"view options {', '.join(options)}", "view without them")
        entry: dict = {"query": v.query}
        if v.comment:
            entry["description"] = v.comment
        if not v.security_invoker:
            entry["security_invoker"] = False
        grants = {g.role: sorted(p.lower() for p in g.privileges) for g in v.grants}
        ctx.roles.update(grants)
        if grants:
            entry["grants"] = grants
        out[v.name] = entry
    for r in ctx.catalog.view_column_comments:
        ctx.lose(("view", r["schema"], r["name"]), None, f"comment on column {r['column_name']}", "not imported")
    return out


def _view_problem(ctx: ImportCtx, v: View) -> str | None:
    if v.schema != ctx.main:
        return f"a view outside the spec's schema {ctx.main} (spec views live there)"
    try:
        check_query(v.query)
    except ExpressionError as e:
        return f"a view query the spec's SQL parser cannot read ({e})"
    return None


def _dependency_order(ctx: ImportCtx, items: tuple[View, ...]) -> list[View]:
    """Views after the views they read (depth first, by name otherwise)."""
    by_key = {v.key: v for v in items}
    deps: dict = {}
    for r in ctx.catalog.view_dependencies:
        deps.setdefault((r["schema"], r["name"]), set()).add((r["ref_schema"], r["ref_name"]))
    done, out = set(), []

    def visit(key, seen=()):
        if key in done or key in seen or key not in by_key:
            return
        for d in sorted(deps.get(key, ())):
            visit(d, seen + (key,))
        done.add(key)
        out.append(by_key[key])

    for key in sorted(by_key):
        visit(key)
    return out


def roles(ctx: ImportCtx) -> dict:
    builtin = {"public"} | (set(SUPABASE_ROLES) if ctx.flavor == "supabase" else set())
    login = {r["name"]: r["login"] for r in ctx.catalog.roles}
    return {r: ({"login": True} if login.get(r) else {}) for r in sorted(ctx.roles - builtin)}


def extra_schemas(ctx: ImportCtx, entity_schemas: set[str]) -> list[str]:
    """Imported schemas the spec must create besides those its entities live in."""
    return sorted(set(ctx.schemas) - {"public", ctx.main} - entity_schemas)



def function_dependents(ctx: ImportCtx, carried: set[str]) -> None:
    """Views, policies, defaults, checks and index expressions calling a function the spec does
    not hold are kept, with a loss saying the function must exist before the spec applies."""
    lost = {(r["schema"], r["name"]) for r in ctx.catalog.functions
            if not ((r["schema"] == ctx.main and r["name"] in carried) or (r["schema"], r["name"]) in
                    ctx.generated_functions)}
    if not lost:
        return
    patterns = [(f"{s}.{n}", _call(s, n, qualified_only=n in carried)) for s, n in sorted(lost)]

    def check(obj, part, text):
        for name, pattern in patterns:
            if text and pattern.search(text):
                ctx.lose(obj, part, f"calls {name}(), which is not imported", "kept: create the function "
                         "before applying the spec")
    for v in ctx.model.views:
        check(("view", v.schema, v.name), None, v.query)
    for t in ctx.model.tables:
        obj = ("table", t.schema, t.name)
        for p in t.policies:
            check(obj, f"policy {p.name}", f"{p.using} {p.check}")
        for c in t.columns:                 # the table itself cannot be created: whole-table loss
            check(obj, None, f"{c.default} {c.generated}")
        for k in t.checks:
            check(obj, None, k.expression)
        for i in t.indexes:
            check(obj, f"index {i.name}", " ".join(str(e.expression) for e in i.elements) + f" {i.where}")


def _call(schema: str, name: str, qualified_only: bool):
    import re
    q = f'(?:{re.escape(schema)}|"{re.escape(schema)}")\\.'
    n = f'(?:{re.escape(name)}|"{re.escape(name)}")'
    return re.compile(rf'(?<![\w."]){q}{n}\s*\(' if qualified_only else rf'(?<![\w."])(?:{q})?{n}\s*\(')
