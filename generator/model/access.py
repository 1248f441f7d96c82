"""What access predicates read: the columns that policies (through their subqueries), the admin
predicate and SQL helper functions look at, each classified by how it is used. Parsed with
PostgreSQL's own grammar (pglast). Resolve turns the `condition` columns into protected columns,
lint checks that they are, and verify attacks them.

  link       compared with a column of another row (`a.id = automation_id`): joins rows
  identity   compared with the current user (`m.user_id = auth.uid()`): whose row it is
  condition  anything else (`p.role = 'admin'`, `a.published`, `m.expires_at > now()`): a fact
             about the row that grants access, which its owner must not be able to change
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from generator.model import Function, Policy, Schema, Table

_CURRENT_USER = re.compile(r"\bauth\s*\.\s*(uid|jwt|role)\s*\(|\bcurrent_setting\s*\(|\bcurrent_user\b|"
                           r"\bsession_user\b", re.IGNORECASE)


_SELECT, _FROM = re.compile("select", re.IGNORECASE), re.compile("from", re.IGNORECASE)


@dataclass(frozen=True)
class ColumnUse:
    table: tuple[str, str]       # (schema, table)
    column: str
    kind: str                    # link | identity | condition
    source: str                  # what reads it, for messages: "policy p on t", "function f()"


def condition_columns(schema: Schema) -> dict[tuple[str, str], dict[str, list[str]]]:
    """table key -> column -> why it is a condition some access predicate reads."""
    out: dict[tuple[str, str], dict[str, list[str]]] = {}
    for use in access_reads(schema):
        if use.kind == "condition":
            out.setdefault(use.table, {}).setdefault(use.column, [])
            if use.source not in out[use.table][use.column]:
                out[use.table][use.column].append(use.source)
    return out


def access_reads(schema: Schema) -> list[ColumnUse]:
    """Every column the access predicates of `schema` read: the admin predicate, the
    subqueries of every policy and the bodies of the SQL functions policies call."""
    tables = _tables(schema)
    out: list[ColumnUse] = []
    auth = schema.auth
    if auth and auth.admin_table and auth.admin_where:
        t = schema.table(auth.admin_table[1], auth.admin_table[0])
        if t is not None:
            source = f"the admin predicate of {auth.admin_function or 'is_admin()'}"
            out += [ColumnUse(t.key, c, "condition", source)
                    for c in expression_columns(auth.admin_where, {c.name for c in t.columns})]
    called: set[str] = set()
    for t in schema.tables:
        for p in t.policies:
            for text in (p.using, p.check):
                if text:
                    out += predicate_reads(text, tables, f"policy {p.name} on {t.name}")
                    called |= _calls(text)
    for f in schema.functions:
        if f.name in called and f.language == "sql" and f.returns.strip().lower() != "trigger":
            out += function_reads(f, tables)
    return out


def policy_functions(schema: Schema, p: Policy) -> list[Function]:
    """The spec functions a policy calls (by name)."""
    names = _calls(p.using or "") | _calls(p.check or "")
    return [f for f in schema.functions if f.name in names]


@lru_cache(maxsize=4096)
def _calls(text: str) -> frozenset[str]:
    """The names `text` calls as functions (memoized: a spec's tables share their policies' text)."""
    return frozenset({m.group(1) for m in re.finditer(r'"?([A-Za-z_][\w$]*)"?\s*\(', text)})


def _tables(schema: Schema) -> dict[str, Table]:
    """Lookup by `name` (public or the only schema holding it) and `schema.name`."""
    out: dict[str, Table] = {}
    for t in schema.tables:
        out[f"{t.schema}.{t.name}"] = t
        if t.schema == "public" or t.name not in out:
            out[t.name] = t
    return out


def expression_columns(expr: str, columns: set[str]) -> list[str]:
    """Columns of `columns` that an expression names, in order (parsed; unparsable text
    yields nothing)."""
    tree = _parse(f"SELECT {expr}")
    if tree is None:
        return []
    from pglast import ast
    found = []
    for node in _walk(tree):
        if isinstance(node, ast.ColumnRef):
            name = _field(node.fields[-1])
            if name in columns and name not in found:
                found.append(name)
    return found


def predicate_reads(expr: str, tables: dict[str, Table], source: str) -> list[ColumnUse]:
    """Columns of spec tables read inside the subqueries of a policy expression."""
    if not (_SELECT.search(expr) and _FROM.search(expr)):  # a subquery reads columns only through
        return []                                          # SELECT ... FROM ... WHERE/JOIN: skip the parser
    tree = _parse(f"SELECT {expr}")
    if tree is None:
        return []
    from pglast import ast
    out: list[ColumnUse] = []
    for node in _walk(tree):
        if isinstance(node, ast.SubLink) and isinstance(node.subselect, ast.SelectStmt):
            out += _scope_reads(node.subselect, tables, source)
    return out


def function_reads(f: Function, tables: dict[str, Table]) -> list[ColumnUse]:
    """Columns a SQL function's body reads (its parameters count as outer values)."""
    tree = _parse(f.body)
    if tree is None:
        return []
    from pglast import ast
    out: list[ColumnUse] = []
    for node in _walk(tree):
        if isinstance(node, ast.SelectStmt) and node.fromClause:
            out += _scope_reads(node, tables, f"function {f.name}()")
    return out


# ---------------------------------------------------------------- one SELECT's scope

def _scope_reads(select, tables: dict[str, Table], source: str) -> list[ColumnUse]:
    """Columns of the tables in this SELECT's FROM that its WHERE/JOIN conditions read."""
    from pglast import ast
    aliases = _aliases(select.fromClause or (), tables)
    if not aliases:
        return []
    out: dict[tuple, str] = {}
    for cond in conditions(select):
        for col, kind in _classify(cond, aliases):
            key = (col[0].key, col[1])
            # link < identity < condition: a column used as a condition anywhere is one
            if _RANK[kind] > _RANK.get(out.get(key, ""), -1):
                out[key] = kind
    return [ColumnUse(t, c, kind, source) for (t, c), kind in out.items()]


_RANK = {"link": 0, "identity": 1, "condition": 2}


def _aliases(from_clause, tables: dict[str, Table]) -> dict[str, Table]:
    from pglast import ast
    out: dict[str, Table] = {}
    for node in _walk_list(from_clause):
        if isinstance(node, ast.RangeVar):
            key = f"{node.schemaname}.{node.relname}" if node.schemaname else node.relname
            t = tables.get(key)
            if t is not None:
                out[node.alias.aliasname if node.alias else node.relname] = t
    return out


def _resolve(ref, aliases: dict[str, Table]) -> tuple[Table, str] | None:
    """The inner table and column a ColumnRef names, or None (an outer column, a parameter)."""
    names = [_field(f) for f in ref.fields]
    if len(names) >= 2 and names[-2] in aliases:
        t = aliases[names[-2]]
        return (t, names[-1]) if t.column(names[-1]) else None
    if len(names) == 1:
        hits = [t for t in aliases.values() if t.column(names[0])]
        return (hits[0], names[0]) if len(hits) == 1 else None
    return None


def conditions(select) -> list:
    """The WHERE and JOIN ... ON conditions of one SELECT (pglast nodes)."""
    from pglast import ast
    found = [select.whereClause] + [j.quals for j in _walk_list(select.fromClause or ())
                                    if isinstance(j, ast.JoinExpr)]
    return [c for c in found if c is not None]


def equalities(cond, aliases: dict[str, Table]):
    """(ColumnRef node, (inner table, column), the other side) for every `=` / IS NOT DISTINCT
    FROM in `cond` with a column of the tables in scope on one side."""
    from pglast import ast
    for node in _walk(cond):
        if isinstance(node, ast.A_Expr) and _op(node) in ("=", "IS NOT DISTINCT FROM"):
            sides = (node.lexpr, node.rexpr)
            for mine, other in (sides, sides[::-1]):
                got = _resolve(mine, aliases) if isinstance(mine, ast.ColumnRef) else None
                if got is not None:
                    yield mine, got, other


def _classify(cond, aliases: dict[str, Table]):
    """(inner column, kind) for every inner column the condition reads."""
    from pglast import ast
    seen: dict[int, str] = {}
    for mine, _got, other in equalities(cond, aliases):
        kind = _other_kind(other, aliases)
        if kind:
            seen[id(mine)] = kind
    for node in _walk(cond):
        if isinstance(node, ast.ColumnRef):
            got = _resolve(node, aliases)
            if got:
                yield got, seen.get(id(node), "condition")


def _other_kind(node, aliases) -> str | None:
    """What the other side of `col = <node>` makes the column: a link (another column or a
    parameter), an identity (the current user) or nothing (a constant: a condition)."""
    from pglast import ast
    from pglast.stream import RawStream
    if isinstance(node, ast.ColumnRef):
        return "link"
    if isinstance(node, ast.ParamRef):
        return "link"
    try:
        text = RawStream()(node)
    except Exception:       # pragma: no cover - pglast prints every node it parsed
        return None
    if _CURRENT_USER.search(text):
        return "identity"
    return None


def _op(node) -> str:
    from pglast.enums import A_Expr_Kind
    if node.kind == A_Expr_Kind.AEXPR_OP and node.name:
        return _field(node.name[-1])
    if node.kind == A_Expr_Kind.AEXPR_NOT_DISTINCT:
        return "IS NOT DISTINCT FROM"
    return ""


# ---------------------------------------------------------------- tree helpers

@lru_cache(maxsize=4096)
def _parse(sql: str):
    try:
        from pglast import parse_sql
        return parse_sql(sql)
    except Exception:
        return None


def _field(node) -> str:
    return getattr(node, "sval", None) or str(node)


def _walk(node):
    """Every AST node under `node` (depth first), tuples included."""
    from pglast import ast
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, (tuple, list)):
            stack.extend(reversed(cur))
            continue
        if not isinstance(cur, ast.Node):
            continue
        yield cur
        for name in cur.__slots__:
            child = getattr(cur, name, None)
            if isinstance(child, (ast.Node, tuple, list)):
                stack.append(child)


def _walk_list(items):
    for item in items:
        yield from _walk(item)


def pinned_by_isolation(t: Table) -> bool:
    """Tenant isolation covers INSERT and UPDATE with a WITH CHECK on the tenant column, and no
    other permissive policy but the admin's lets a row be written: no row can be written into,
    or moved to, another tenant or none."""
    writes = [p for p in t.policies if p.permissive and p.command in ("ALL", "INSERT", "UPDATE")]
    return any(p.preset == "tenant_isolation" and p.command == "ALL" and p.check for p in writes) and \
        all(p.preset in ("tenant_isolation", "admin_full_access") for p in writes)
