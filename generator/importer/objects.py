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
    for e in ctx.model.extensions:
        if e.name in ctx.hidden_extensions:
            continue                       # installed by the Supabase stand-in, not by the project
        plain = e.schema in (None, "public", ctx.main) and e.version is None
        entry: dict = {"name": e.name}
        if e.schema not in (None, "public", ctx.main):
            entry["schema"] = e.schema
        if e.version:
            entry["version"] = e.version
        out.append(e.name if plain else entry)
    return out


def functions(ctx: ImportCtx) -> dict:
    """Every function and procedure (overloads under keys of their own, with `name:`)."""
    out: dict = {}
    rows = {(r["schema"], r["name"], r["args"]): r for r in ctx.catalog.functions}
    for f in sorted(ctx.model.functions, key=lambda f: (f.schema != ctx.main, f.schema, f.name, f.args)):
        obj = ("function", f.schema, f.name)
        if (f.schema, f.name) in ctx.generated_functions:
            continue
        row = next((v for k, v in rows.items() if k[:2] == (f.schema, f.name)), {})
        if f.language in ("c", "internal"):
            ctx.lose(obj, None, f"a function in language {f.language} (its object file is not in the catalog)",
                     "not imported: create it before applying the spec")
            continue
        entry: dict = {}
        key = _function_key(ctx, f, out)
        if key != f.name:
            entry["name"] = f.name
        if f.schema != ctx.main:
            entry["schema"] = f.schema
        if f.kind != "function":
            entry["kind"] = f.kind
        if f.returns and f.kind != "procedure":
            entry["returns"] = f.returns
        execute = _execute(ctx, f, row.get("acl"))
        if f.args:
            entry["args"] = f.args
        entry["language"] = f.language
        if f.volatility != "VOLATILE" and f.kind != "procedure":
            entry["volatility"] = f.volatility.lower()
        for flag in ("strict", "leakproof", "security_definer", "atomic"):
            if getattr(f, flag):
                entry[flag] = True
        if f.parallel != "UNSAFE":
            entry["parallel"] = f.parallel.lower()
        for attr in ("cost", "rows"):
            if getattr(f, attr) is not None:
                value = getattr(f, attr)
                entry[attr] = int(value) if float(value).is_integer() else value
        if f.search_path is not None:
            entry["search_path"] = f.search_path
        if f.config:
            entry["set"] = dict(f.config)
        if f.comment:
            entry["description"] = f.comment
        if execute is not None:
            entry["execute"] = execute
        entry["body"] = f.body
        out[key] = entry
        ctx.function_keys[(f.schema, f.name, f.args)] = key
    return out


def _function_key(ctx: ImportCtx, f, done: dict) -> str:
    base = f.name if f.schema == ctx.main else f"{f.schema}_{f.name}"
    key, n = base, 2
    while key in done:
        key, n = f"{base}_{n}", n + 1
    return key


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
    for v in _dependency_order(ctx, ctx.model.views):
        obj = ("view", v.schema, v.name)
        try:
            check_query(v.query)
        except ExpressionError as e:
            ctx.lose(obj, None, f"a view query gen cannot read ({e})", "not imported")
            continue
        key = v.name if v.schema == ctx.main and v.name not in out else f"{v.schema}_{v.name}"
        entry: dict = {}
        if key != v.name:
            entry["name"] = v.name
        if v.schema != ctx.main:
            entry["schema"] = v.schema
        if v.materialized:
            entry["materialized"] = True
        entry["query"] = v.query
        if v.comment:
            entry["description"] = v.comment
        if not v.security_invoker and not v.materialized:
            entry["security_invoker"] = False
        if v.options:
            entry["options"] = dict(v.options)
        if v.indexes:
            from generator.importer.indexes import index_entry
            entry["indexes"] = [index_entry(i, v.name, True, ctx.convention) for i in v.indexes]
        if v.triggers:
            from generator.importer.entity import trigger_entry
            entry["triggers"] = [trigger_entry(ctx, v.name, tr, None) for tr in v.triggers]
        grants = {g.role: sorted(p.lower() for p in g.privileges) for g in v.grants}
        ctx.roles.update(grants)
        if grants:
            entry["grants"] = grants
        out[key] = entry
    for r in ctx.catalog.view_column_comments:
        ctx.lose(("view", r["schema"], r["name"]), None, f"comment on column {r['column_name']}", "not imported")
    return out


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
    kept = {(k[0], k[1]) for k in ctx.function_keys} | set(ctx.generated_functions)
    lost = {(r["schema"], r["name"]) for r in ctx.catalog.functions
            if r["kind"] != "a" and (r["schema"], r["name"]) not in kept}
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
